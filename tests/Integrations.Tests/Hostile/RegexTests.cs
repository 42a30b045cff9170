using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Diagnostics;
using System.Text.Json;
using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Http;
using Jobs.Platforms;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// Regular expressions from job settings and remote files run on the linear engine: a pattern built to backtrack for ever
/// finishes at once, and one the linear engine cannot run is refused at submit, named by its path. The bounds below are
/// correctness bounds (a backtracking engine needs minutes to hours for these inputs), kept generous for a loaded machine.
/// </summary>
[Collection(HostileInputs.Collection)]
public sealed class RegexTests(HostFixture host) : IClassFixture<HostFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static VendorDefinition Vendor(string skuPattern) => VendorCatalog.Parse(JsonSerializer.SerializeToElement(new
    {
        name = "hostile_shop",
        start_url = "https://shop.example/years",
        year_links = "a.year",
        product_links = "a.product",
        fields = new { sku = new { selector = "span.sku", pattern = skuPattern }, name = new { selector = "h1" } },
    }), "vendor_definition");

    [Theory]
    [InlineData(34)]
    [InlineData(100_000)]
    public void A_catastrophic_pattern_on_a_hostile_sku_finishes_within_a_second_and_leaves_nothing_running(int length)
    {
        // The issue's case: ^((a+)+)$ against a run of a's and a '!' backtracks 2^n ways on a backtracking engine.
        var vendor = Vendor("^((a+)+)$");
        var page = new Uri("https://shop.example/product/1");
        var html = $"<html><body><h1>Ornament</h1><span class=\"sku\">{new string('a', length)}!</span></body></html>";
        var watch = Stopwatch.StartNew();

        var error = Assert.Throws<CataloguePageException>(() => CataloguePages.Product(vendor, page, page.ToString(), html, 2026));

        watch.Stop();
        Assert.Equal($"{page}: no sku (selector 'span.sku' pattern '^((a+)+)$')", error.Message);
        // The match ran on this thread and has returned: nothing is left matching in the background.
        Assert.True(watch.Elapsed < Bound, $"the match took {watch.Elapsed}");
        var sku = CataloguePages.Product(vendor, page, page.ToString(), html.Replace("!", ""), 2026).Sku;
        Assert.Equal(length, sku.Length);
    }

    [Fact]
    public async Task The_issues_catastrophic_pattern_fails_its_child_in_a_real_integrations_process_that_is_idle_afterwards()
    {
        var prefix = $"test-hostile-{Guid.NewGuid():N}:";
        await using var shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        shop.Answer("/product/a", context => OneProductShop.Html(context, $"<h1>Ornament</h1><span class=\"sku\">{new string('a', 34)}!</span>"));
        await using var integrations = await IsolatedIntegrations.StartAsync(host, "catalogue", new Dictionary<string, string>
        {
            // The shop listens on loopback: allowed for this test.
            ["Integrations__Http__Integrations__catalogue__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Integrations__Http__Hosts__127.0.0.1__RequestsPerSecond"] = "0",
            ["Integrations__Http__KeyPrefix"] = prefix + "http:",
            ["Catalogue__RedisPrefix"] = prefix + "catalogue:",
        });
        var root = Guid.NewGuid();
        var step = new CatalogueStep { Vendor = "hostile_shop", Definition = Vendor("^((a+)+)$"), Url = new Uri(shop.BaseAddress, "/product/a").ToString(), Year = 2026 };
        try
        {
            await integrations.SendAsync(new Contracts.RunChildJobs(root, "catalogue",
            [
                new Contracts.ChildJob(JobTree.JobIds.Child(JobTree.JobIds.Entry(root), 0), JobTree.JobIds.Entry(root), root, 3,
                    CatalogueIntegration.ProductTask, JsonSerializer.SerializeToElement(step, SettingsJson.Options)),
            ]));

            var outcome = Assert.Single(await integrations.FinishedAsync(TimeSpan.FromSeconds(60)));

            Assert.False(outcome.GetProperty("succeeded").GetBoolean());
            Assert.EndsWith($"{step.Url}: no sku (selector 'span.sku' pattern '^((a+)+)$')", outcome.GetProperty("error").GetString());
            // A match still running would keep a core busy: 3 s of CPU in these 3 s (the backtracking engine needs hours for it).
            await Task.Delay(TimeSpan.FromSeconds(2));
            var before = integrations.CpuSeconds();
            await Task.Delay(TimeSpan.FromSeconds(3));
            var used = integrations.CpuSeconds() - before;
            Assert.True(used < 1.5, $"the process used {used:F2} s of CPU in the 3 s after the job");
        }
        finally
        {
            await RedisKeys.DeleteByPrefixAsync(host.Redis, prefix);
            await host.Redis.GetDatabase().KeyDeleteAsync([RunKeys.RunningKey(root), RunKeys.FailedKey(root)]);
        }
    }

    [Fact]
    public void A_robots_txt_full_of_wildcards_is_matched_in_linear_time()
    {
        var rules = RobotsRules.Parse("User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n", "JobsPlatformBot/1.0");
        var watch = Stopwatch.StartNew();

        var allowed = rules.IsAllowed(new Uri("https://shop.example/" + new string('a', 20_000)));

        Assert.True(allowed);
        Assert.True(watch.Elapsed < Bound, $"the match took {watch.Elapsed}");
        Assert.False(rules.IsAllowed(new Uri("https://shop.example/" + new string('a', 20) + "b")));
    }

    [Fact]
    public async Task A_pattern_the_linear_engine_cannot_run_is_refused_at_submit_naming_the_field()
    {
        var catalog = new PlatformCatalog(host.Redis);
        var before = await host.Redis.GetDatabase().HashGetAsync(PlatformCatalog.Key, "catalogue");
        var integration = new CatalogueIntegration(new VendorCatalog(Microsoft.Extensions.Options.Options.Create(new CatalogueOptions())),
            Microsoft.Extensions.Options.Options.Create(new CatalogueOptions()),
            new Jobs.Plugins.Storage.StorageTargets(Microsoft.Extensions.Options.Options.Create(new Jobs.Plugins.Storage.StorageOptions())));
        await catalog.PublishAsync([integration.Describe()]);
        try
        {
            var validation = await new JobRequestValidator(catalog).ValidateAsync("catalogue", JsonSerializer.SerializeToElement(new
            {
                vendor_definition = new
                {
                    name = "hostile_shop",
                    start_url = "https://shop.example/years",
                    year_links = "a.year",
                    year_pattern = "(?>19|20)\\d\\d",
                    product_links = "a.product",
                    fields = new { sku = new { selector = "span.sku", pattern = "(a+)\\1" }, name = new { selector = "h1", pattern = "^((a+)+)$" } },
                    availability_rules = new object[] { new { pattern = "in stock", value = "available" }, new { pattern = "(?=sold)sold", value = "sold_out" } },
                },
            }));

            Assert.Equal(["settings.vendor_definition.availability_rules[1].pattern", "settings.vendor_definition.fields.sku.pattern",
                "settings.vendor_definition.year_pattern"], validation.Errors.Keys.Order(StringComparer.Ordinal));
            Assert.All(validation.Errors.Values, messages => Assert.Contains("cannot run in linear time", Assert.Single(messages)));
            Assert.StartsWith("'(a+)\\1' cannot run in linear time", validation.Errors["settings.vendor_definition.fields.sku.pattern"][0]);
        }
        finally
        {
            if (before.IsNull) await host.Redis.GetDatabase().HashDeleteAsync(PlatformCatalog.Key, "catalogue");
            else await host.Redis.GetDatabase().HashSetAsync(PlatformCatalog.Key, "catalogue", before);
        }
    }

    [Fact]
    public void A_pattern_longer_than_the_limit_is_refused()
    {
        var problem = SafeRegex.Problem(new string('a', SafeRegex.MaxPatternLength + 1));

        Assert.Contains($"at most {SafeRegex.MaxPatternLength} are accepted", problem);
    }
}
