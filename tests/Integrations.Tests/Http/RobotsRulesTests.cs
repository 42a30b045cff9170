using Jobs.Plugins.Http;

namespace Jobs.Integrations.Tests.Http;

public sealed class RobotsRulesTests
{
    private const string Agent = "CatalogueBot/2.1 (+contact)";

    private static bool Allowed(string robots, string path) =>
        RobotsRules.Parse(robots, Agent).IsAllowed(new Uri(new Uri("https://shop.example"), path));

    [Theory]
    [InlineData("/private/a", false)]
    [InlineData("/private/public/b", true)]
    [InlineData("/other", true)]
    public void When_allow_and_disallow_both_match_Should_follow_the_longest_path(string path, bool allowed)
    {
        Assert.Equal(allowed, Allowed("User-agent: *\nDisallow: /private\nAllow: /private/public\n", path));
    }

    [Fact]
    public void When_allow_and_disallow_are_equally_long_Should_allow()
    {
        Assert.True(Allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page"));
    }

    [Theory]
    [InlineData("/product.php?id=3&sort=price", false)]
    [InlineData("/product.php?id=3", true)]
    [InlineData("/list.pdf", false)]
    [InlineData("/list.pdf?download=1", true)]
    public void When_patterns_have_wildcards_and_end_anchors_Should_match_them(string path, bool allowed)
    {
        Assert.Equal(allowed, Allowed("User-agent: *\nDisallow: /*sort=\nDisallow: /*.pdf$\n", path));
    }

    [Fact]
    public void When_a_group_names_the_agent_Should_use_it_instead_of_the_wildcard_group()
    {
        const string robots = "User-agent: *\nDisallow: /\n\nUser-agent: otherbot\nUser-agent: CATALOGUEBOT\nDisallow: /cart\n";

        Assert.True(Allowed(robots, "/products"));
        Assert.False(Allowed(robots, "/cart"));
    }

    [Theory]
    [InlineData("User-agent: *\nDisallow:\n")]
    [InlineData("")]
    [InlineData("# nothing but a comment\nSitemap: https://shop.example/sitemap.xml\n")]
    public void When_nothing_is_disallowed_Should_allow_everything(string robots)
    {
        Assert.True(Allowed(robots, "/anything?at=all"));
    }

    [Fact]
    public void When_rules_carry_comments_and_odd_case_Should_still_read_them()
    {
        Assert.False(Allowed("USER-AGENT: * # everyone\ndisallow: /admin # keep out\n", "/admin/users"));
    }
}
