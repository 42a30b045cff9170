using Jobs.JobTree;
using System.Net;
using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Http;
using Jobs.Plugins.Movies;
using Jobs.Integrations.Tests.Catalogue;
using Jobs.Integrations.Tests.Reddit;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// Request forgery: jobs that point the platform at loopback, private, link-local or its own endpoints. Every test server
/// here listens on loopback, which the default policy refuses; a test admits exactly what its case needs (the name
/// <c>localhost</c> plays the outside host).
/// </summary>
[Collection(HostileInputs.Collection)]
public sealed class OutboundForgeryTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private readonly string _prefix = $"test-hostile-{Guid.NewGuid():N}:";
    private TestShop _outside = null!;
    private TestShop _victim = null!;

    public async Task InitializeAsync()
    {
        _outside = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        _victim = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        _victim.Answer("/metrics", context => context.Response.WriteAsync("process_start_time_seconds 1796161709.70\n"));
    }

    public async Task DisposeAsync()
    {
        await _outside.DisposeAsync();
        await _victim.DisposeAsync();
        await RedisKeys.DeleteByPrefixAsync(host.Redis, _prefix);
    }

    private PoliteHttpOptions Options(Action<OutboundRules>? allow = null)
    {
        var options = new PoliteHttpOptions
        {
            KeyPrefix = _prefix, RequestsPerSecond = 0, MaxAttempts = 2, BackoffBase = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(10),
        };
        allow?.Invoke(options.Outbound!);
        return options;
    }

    private PoliteHttpClient Client(Action<OutboundRules>? allow = null) => new(host.Redis, Options(allow), "catalogue");

    /// <summary>The outside shop by a name the policy was told to admit, as an operator admits a shop on purpose.</summary>
    private Uri Outside(string path) => new($"http://localhost:{_outside.BaseAddress.Port}{path}");

    private Uri Victim(string path) => new($"http://127.0.0.1:{_victim.BaseAddress.Port}{path}");

    [Fact]
    public async Task A_product_link_to_loopback_is_refused_and_fails_its_child_naming_the_rule()
    {
        // The issue's case: a list page on an outside host links a "product" on the Auditor's /metrics, with a pattern that
        // would lift a line of it into the SKU.
        OneProductShop.Serve(_outside, Victim("/metrics").ToString());
        await using var bed = new CatalogueTestbed(host, http => http.Outbound!.AllowedHosts.Add("localhost"), allowLoopback: false);
        await bed.ResetTablesAsync();

        var children = await bed.CrawlAsync(new
        {
            vendor_definition = OneProductShop.Definition("hostile_shop", Outside("/"), "(process_start_time_seconds [0-9.e+]+)"),
        });

        var product = Assert.Single(children, c => c.Task == CatalogueIntegration.ProductTask);
        Assert.Equal($"{Victim("/metrics")}: refused by the outbound policy: 127.0.0.1 is a loopback address (allow it with AllowedHosts or " +
                     "AllowedNetworks under Integrations:Http:Integrations:catalogue:Outbound or Integrations:Http:Outbound)", product.Error);
        Assert.Empty(await bed.ProductsAsync());
        Assert.Empty(_victim.Requests);
    }

    public static TheoryData<string, string> Forbidden => new()
    {
        { "http://10.20.30.40/admin", "10.20.30.40 is a private (RFC 1918) address" },
        { "http://192.168.1.1/", "192.168.1.1 is a private (RFC 1918) address" },
        { "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254 is a link-local address (such as a cloud metadata service)" },
        { "http://[fd00::1]/", "fd00::1 is a unique-local (private) address" },
        { "http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address" },
        { "http://0.0.0.0/", "0.0.0.0 is an unspecified ('this network') address" },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public async Task A_request_to_a_private_link_local_or_unspecified_address_is_refused_before_any_connection(string url, string rule)
    {
        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() => Client().GetPageAsync(new Uri(url), CancellationToken.None));

        Assert.StartsWith($"{new Uri(url)}: refused by the outbound policy: {rule} (allow it with AllowedHosts or AllowedNetworks", error.Message);
    }

    [Fact]
    public async Task A_request_to_loopback_is_refused_and_reaches_nothing()
    {
        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() => Client().GetPageAsync(Victim("/metrics"), CancellationToken.None));

        Assert.Contains("127.0.0.1 is a loopback address", error.Message);
        Assert.Empty(_victim.Requests);
    }

    [Fact]
    public async Task A_request_to_ipv6_loopback_is_refused()
    {
        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() =>
            Client().GetPageAsync(new Uri($"http://[::1]:{_victim.BaseAddress.Port}/metrics"), CancellationToken.None));

        Assert.Contains("refused by the outbound policy: ::1 is a loopback address", error.Message);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_on_the_address_it_resolves_to()
    {
        var url = new Uri($"http://localhost:{_victim.BaseAddress.Port}/metrics");

        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() => Client().GetPageAsync(url, CancellationToken.None));

        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(error.Message,
            @"^http://localhost:\d+/metrics: refused by the outbound policy: localhost resolves to (127\.0\.0\.1|::1): \S+ is a loopback address"), error.Message);
        Assert.Empty(_victim.Requests);
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_host_to_loopback_is_refused_on_the_hop()
    {
        var secret = Victim("/metrics");
        _outside.Answer("/go", context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = secret.ToString();
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() =>
            Client(allow => allow.AllowedHosts.Add("localhost")).GetPageAsync(Outside("/go"), CancellationToken.None));

        Assert.StartsWith($"{Outside("/go")}: refused by the outbound policy: redirected to {secret}: 127.0.0.1 is a loopback address", error.Message);
        Assert.Equal(1, _outside.CountOf("/go"));
        Assert.Empty(_victim.Requests);
    }

    [Fact]
    public async Task Allowlisted_loopback_is_accepted()
    {
        var page = await Client(allow => allow.AllowedNetworks.Add("127.0.0.0/8")).GetPageAsync(Victim("/metrics"), CancellationToken.None);

        Assert.Equal((HttpStatusCode.OK, "process_start_time_seconds 1796161709.70\n"), (page.StatusCode, page.Body));
    }

    [Fact]
    public async Task The_platforms_own_endpoints_are_refused_even_when_loopback_is_allowlisted()
    {
        // The victim plays Redis: the configured REDIS_URL names its address and port.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["REDIS_URL"] = $"127.0.0.1:{_victim.BaseAddress.Port}",
            ["RABBITMQ_URL"] = "amqp://guest:guest@10.0.0.5:5672/",
            ["POSTGRES_URL"] = "Host=localhost,10.0.0.6:6432;Port=5433;Database=jobs",
            ["Urls"] = "http://0.0.0.0:5999",
        }).Build();
        var options = Options(allow => allow.AllowedNetworks.AddRange(["127.0.0.0/8", "10.0.0.0/8"]));
        PlatformEndpoints.AddTo(options.Outbound!, configuration);
        var client = new PoliteHttpClient(host.Redis, options, "catalogue");

        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() => client.GetPageAsync(Victim("/metrics"), CancellationToken.None));

        Assert.Contains($"127.0.0.1:{_victim.BaseAddress.Port} is one of the platform's own endpoints", error.Message);
        Assert.Empty(_victim.Requests);
        var policy = options.OutboundFor("catalogue");
        Assert.All(new[] { ("10.0.0.5", 5672), ("10.0.0.5", 15672), ("10.0.0.6", 6432) },
            e => Assert.Contains("platform's own endpoints", policy.Refusal(e.Item1, IPAddress.Parse(e.Item1), e.Item2)));
        // A configured name is refused by name and by the addresses it resolves to.
        Assert.Contains("never allowed", policy.Refusal("localhost", IPAddress.Parse("10.9.9.9"), 5433));
        Assert.Contains("never allowed", policy.Refusal("127.0.0.1", IPAddress.Loopback, 5433));
        // The service's own port (a wildcard URL) and the default protected ports, on any address that is not public.
        Assert.Contains("one of the platform's own ports", policy.Refusal("127.0.0.1", IPAddress.Loopback, 5999));
        Assert.Contains("one of the platform's own ports", policy.Refusal("127.0.0.1", IPAddress.Loopback, 5084));
        Assert.Null(policy.Refusal("127.0.0.1", IPAddress.Loopback, 8080));
        Assert.Null(policy.Refusal("10.0.0.5", IPAddress.Parse("10.0.0.5"), 443));
    }

    [Fact]
    public async Task Reddits_api_base_url_and_token_url_on_loopback_are_refused_naming_the_rule()
    {
        await using var reddit = await RedditHarness.StartAsync(host, allowLoopback: false);
        var subreddit = RedditHarness.NewSubreddit();

        var anonymous = await reddit.RunAsync(new { subreddits = new[] { subreddit } });
        var withCredentials = await reddit.RunAsync(new { subreddits = new[] { subreddit }, client_id = "app-id", client_secret = "app-secret-value" });

        Assert.True(anonymous.Entry.Succeeded, anonymous.Entry.Error);
        Assert.StartsWith($"OutboundRefusedException: {reddit.Api.BaseUri}r/{subreddit}/new.json?", anonymous.Only.Error);
        Assert.Contains(": refused by the outbound policy: 127.0.0.1 is a loopback address (allow it with AllowedHosts or AllowedNetworks under " +
                        "Integrations:Http:Integrations:reddit:Outbound", anonymous.Only.Error);
        Assert.StartsWith($"OutboundRefusedException: {reddit.Api.TokenUri}: refused by the outbound policy: 127.0.0.1 is a loopback address",
            withCredentials.Entry.Error);
        Assert.Empty(reddit.Api.Requests);
    }

    [Fact]
    public async Task A_movies_download_from_loopback_is_refused_naming_the_rule()
    {
        var integration = new MoviesIntegration(new PoliteHttpFactory(host.Redis, Microsoft.Extensions.Options.Options.Create(new PoliteHttpOptions())),
            Microsoft.Extensions.Options.Options.Create(new MoviesOptions()),
            new Plugins.Storage.StorageTargets(Microsoft.Extensions.Options.Options.Create(new Plugins.Storage.StorageOptions())));
        var root = Guid.NewGuid();
        var source = Victim("/dump.xml.gz");
        var job = new Contracts.ChildJob(JobTree.JobIds.Child(JobTree.JobIds.Entry(root), 0), JobTree.JobIds.Entry(root), root, 1,
            MoviesIntegration.DownloadAbstracts, System.Text.Json.JsonSerializer.SerializeToElement(new { abstracts_url = source.ToString(), movies_url = source.ToString() }));
        var context = new Plugins.JobContext(root, job, new Hosting.RunReports(host.Redis), host.Redis, host.Postgres, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);

        var error = await Assert.ThrowsAsync<OutboundRefusedException>(() => integration.RunAsync(context));

        Assert.StartsWith($"{source}: refused by the outbound policy: 127.0.0.1 is a loopback address (allow it with AllowedHosts or AllowedNetworks under " +
                          "Integrations:Http:Integrations:movies:Outbound", error.Message);
        Assert.Empty(_victim.Requests);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void A_public_address_is_allowed(string address) =>
        Assert.Null(new PoliteHttpOptions().OutboundFor("catalogue").Refusal("example.com", IPAddress.Parse(address), 443));

    [Theory]
    [InlineData("100.64.0.1", "a shared (carrier-grade NAT) address")]
    [InlineData("172.31.255.255", "a private (RFC 1918) address")]
    [InlineData("224.0.0.251", "a multicast address")]
    [InlineData("255.255.255.255", "a reserved or broadcast address")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("ff02::1", "a multicast address")]
    [InlineData("::", "an unspecified address")]
    [InlineData("64:ff9b::7f00:1", "a loopback address behind an IPv6 translation prefix")]
    [InlineData("2002:a9fe:a9fe::1", "a link-local address (such as a cloud metadata service) behind an IPv6 translation prefix")]
    public void A_non_public_address_is_named_by_its_kind(string address, string kind) =>
        Assert.Equal(kind, OutboundPolicy.KindOf(IPAddress.Parse(address)));
}
