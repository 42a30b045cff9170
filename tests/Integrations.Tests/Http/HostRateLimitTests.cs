using Jobs.Plugins.Http;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using StackExchange.Redis;

namespace Jobs.Integrations.Tests.Http;

/// <summary>The per-host rate limit is shared through Redis: clients on separate connections together stay under it.</summary>
public sealed class HostRateLimitTests(HostFixture host) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task When_two_clients_on_separate_redis_connections_hammer_one_host_Should_together_never_exceed_its_rate()
    {
        const double rate = 20;
        const int burst = 2;
        var prefix = $"test-http-{Guid.NewGuid():N}:";
        await using var shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        var redisUrl = await Infrastructure.RedisAsync();
        await using var redisA = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(redisUrl));
        await using var redisB = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(redisUrl));
        PoliteHttpClient Client(IConnectionMultiplexer redis, string agent) => new(redis,
            new PoliteHttpOptions { KeyPrefix = prefix, RequestsPerSecond = rate, Burst = burst, ObeyRobots = false, UserAgent = agent }.AllowingLoopback(),
            "test-limit");
        var clients = new[] { Client(redisA, "LimiterA/1.0"), Client(redisB, "LimiterB/1.0") };
        try
        {
            // Connections opened and the send path compiled first: a cold first request can leave late and land with later ones.
            foreach (var client in clients) await client.GetPageAsync(new Uri(shop.BaseAddress, "/ping"), CancellationToken.None);
            shop.ClearRequests();

            // 8 workers per client, 60 requests each client: unlimited, they would send all 120 within a fraction of a second.
            await Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, 8).Select(async worker =>
            {
                for (var i = worker; i < 60; i += 8) await client.GetPageAsync(new Uri(shop.BaseAddress, "/ping"), CancellationToken.None);
            })));

            Assert.Equal(120, shop.Requests.Count);
            Assert.Equal(60, shop.Requests.Count(r => r.UserAgent == "LimiterA/1.0"));
            // At most 62 in any 2 s; with a limit per client about 80 would arrive.
            RateWindows.AssertWithin(shop.Requests.Select(r => (r.At, r.UserAgent ?? "")).ToList(), rate, burst,
                window: TimeSpan.FromSeconds(3), jitter: TimeSpan.FromSeconds(1));
        }
        finally
        {
            await RedisKeys.DeleteByPrefixAsync(host.Redis, prefix);
        }
    }

    [Fact]
    public async Task When_one_process_pauses_a_host_Should_every_other_process_wait_that_long_too()
    {
        var prefix = $"test-http-{Guid.NewGuid():N}:";
        await using var shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, [], 10);
        var options = new PoliteHttpOptions { KeyPrefix = prefix, RequestsPerSecond = 50, Burst = 5, ObeyRobots = false }.AllowingLoopback();
        await using var otherRedis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(await Infrastructure.RedisAsync()));
        var pausing = new PoliteHttpClient(host.Redis, options, "test-pause");
        var other = new PoliteHttpClient(otherRedis, options, "test-pause");
        var ping = new Uri(shop.BaseAddress, "/ping");
        try
        {
            await pausing.GetPageAsync(ping, CancellationToken.None);
            await pausing.PauseHostAsync(ping, TimeSpan.FromSeconds(1));
            await other.GetPageAsync(ping, CancellationToken.None);

            var arrivals = shop.Requests.Select(r => r.At).ToList();
            Assert.True(arrivals[1] - arrivals[0] >= TimeSpan.FromSeconds(0.95), $"the second request came {(arrivals[1] - arrivals[0]).TotalMilliseconds} ms later");
        }
        finally
        {
            await RedisKeys.DeleteByPrefixAsync(host.Redis, prefix);
        }
    }
}
