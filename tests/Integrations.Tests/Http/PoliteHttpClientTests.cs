using System.Net;
using Jobs.Plugins.Http;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Http;
using StackExchange.Redis;

namespace Jobs.Integrations.Tests.Http;

/// <summary>The polite client against a local server and the real Redis (keys under a prefix of each test, removed at the end).</summary>
public sealed class PoliteHttpClientTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private readonly string _prefix = $"test-http-{Guid.NewGuid():N}:";
    private readonly string _integration = $"test-{Guid.NewGuid():N}";
    private TestShop _server = null!;

    public async Task InitializeAsync() => _server = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await RedisKeys.DeleteByPrefixAsync(host.Redis, _prefix);
    }

    private PoliteHttpOptions Options(Action<PoliteHttpOptions>? configure = null)
    {
        var options = new PoliteHttpOptions
        {
            KeyPrefix = _prefix,
            UserAgent = "PoliteTests/3.0",
            RequestsPerSecond = 0,
            MaxAttempts = 3,
            BackoffBase = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(10),
        };
        options.AllowingLoopback();
        configure?.Invoke(options);
        return options;
    }

    private PoliteHttpClient Client(PoliteHttpOptions options, IConnectionMultiplexer? redis = null) =>
        new(redis ?? host.Redis, options, _integration);

    private Uri Url(string path) => new(_server.BaseAddress, path);

    private static Func<HttpContext, Task> Status(int status) => context =>
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    };

    [Fact]
    public async Task When_a_host_answers_429_with_Retry_After_Should_wait_that_long_and_retry()
    {
        _server.Throttle("/ping");

        var page = await Client(Options()).GetPageAsync(Url("/ping"), CancellationToken.None);

        Assert.Equal(("pong", HttpStatusCode.OK), (page.Body, page.StatusCode));
        var pings = _server.Requests.Where(r => r.PathAndQuery == "/ping").ToList();
        Assert.Equal([429, 200], pings.Select(r => r.Status));
        Assert.True(pings[1].At - pings[0].At >= TimeSpan.FromSeconds(0.95), $"retried after {(pings[1].At - pings[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task When_a_host_keeps_answering_5xx_Should_try_max_attempts_then_fail_naming_the_url_and_status()
    {
        _server.Answer("/flaky", Status(503));

        var error = await Assert.ThrowsAsync<HttpFetchException>(() => Client(Options()).GetPageAsync(Url("/flaky"), CancellationToken.None));

        Assert.Equal($"GET {Url("/flaky")} failed: 503 Service Unavailable", error.Message);
        Assert.Equal(3, _server.CountOf("/flaky"));
    }

    [Fact]
    public async Task When_a_4xx_other_than_429_comes_back_Should_not_retry()
    {
        var error = await Assert.ThrowsAsync<HttpFetchException>(() => Client(Options()).GetPageAsync(Url("/missing"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal(1, _server.CountOf("/missing"));
    }

    [Fact]
    public async Task When_Retry_After_is_longer_than_the_policy_allows_Should_give_up_at_once()
    {
        _server.Answer("/later", context =>
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = "3600";
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<HttpFetchException>(() =>
            Client(Options(o => o.MaxRetryAfter = TimeSpan.FromMinutes(1))).GetPageAsync(Url("/later"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(1, _server.CountOf("/later"));
    }

    [Fact]
    public async Task When_attempts_time_out_Should_retry_and_then_fail_saying_so()
    {
        _server.Answer("/slow", async context => await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted));

        var error = await Assert.ThrowsAsync<HttpFetchException>(() =>
            Client(Options(o => (o.Timeout, o.MaxAttempts) = (TimeSpan.FromMilliseconds(200), 2))).GetPageAsync(Url("/slow"), CancellationToken.None));

        Assert.Equal($"GET {Url("/slow")} failed: timed out after 0.2 s (2 attempts)", error.Message);
        await Eventually.Until(() => Task.FromResult(_server.CountOf("/slow")), n => n == 2, TimeSpan.FromSeconds(10), "two attempts at /slow");
    }

    [Fact]
    public async Task When_robots_txt_disallows_a_path_Should_refuse_it_unrequested_and_share_the_fetched_rules_through_redis()
    {
        _server.RobotsTxt = "User-agent: *\nDisallow: /\n\nUser-agent: politetests\nDisallow: /private/\n";
        var first = Client(Options());

        var refused = await Assert.ThrowsAsync<RobotsDisallowedException>(() => first.GetPageAsync(Url("/private/a"), CancellationToken.None));
        Assert.Equal("pong", (await first.GetPageAsync(Url("/ping"), CancellationToken.None)).Body);

        // Another process (its own Redis connection) reads the cached robots.txt instead of fetching it again.
        await using var otherRedis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(await Infrastructure.RedisAsync()));
        var second = Client(Options(), otherRedis);
        Assert.False(await second.IsAllowedAsync(Url("/private/b"), CancellationToken.None));
        Assert.True(await second.IsAllowedAsync(Url("/public"), CancellationToken.None));

        Assert.Contains("/private/a", refused.Message);
        Assert.Contains("robots.txt", refused.Message);
        Assert.Equal(0, _server.CountOf(p => p.StartsWith("/private/", StringComparison.Ordinal)));
        Assert.Equal(1, _server.CountOf("/robots.txt"));
    }

    [Fact]
    public async Task When_robots_txt_answers_a_server_error_Should_allow_nothing_on_that_host()
    {
        _server.Answer("/robots.txt", Status(500));

        await Assert.ThrowsAsync<RobotsDisallowedException>(() => Client(Options()).GetPageAsync(Url("/ping"), CancellationToken.None));

        Assert.Equal(0, _server.CountOf("/ping"));
    }

    [Fact]
    public async Task When_fetching_Should_send_the_configured_user_agent_and_count_latency_first_byte_and_pages_per_host()
    {
        var client = Client(Options(o => o.Hosts["127.0.0.1"] = new HttpPolicy { UserAgent = "HostSpecific/1.0" }));
        var hostLabel = _server.BaseAddress.Authority;

        await client.GetPageAsync(Url("/ping"), CancellationToken.None);
        await client.GetPageAsync(Url("/ping"), CancellationToken.None);

        Assert.All(_server.Requests, r => Assert.Equal("HostSpecific/1.0", r.UserAgent));
        Assert.Equal(3, (int)HttpMetrics.Latency.WithLabels(_integration, hostLabel).Count); // robots.txt and two pings
        Assert.Equal(3, (int)HttpMetrics.TimeToFirstByte.WithLabels(_integration, hostLabel).Count);
        Assert.Equal(3, HttpMetrics.Pages.WithLabels(_integration, hostLabel, "200").Value);
        Assert.Equal(0, HttpMetrics.Errors.WithLabels(_integration, hostLabel, "timeout").Value);
    }
}
