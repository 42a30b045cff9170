using Jobs.Integrations.Hosting.Http;
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
        PoliteHttpClient Client(IConnectionMultiplexer redis, string agent) => new(new HttpClient(), redis,
            new PoliteHttpOptions { KeyPrefix = prefix, RequestsPerSecond = rate, Burst = burst, ObeyRobots = false, UserAgent = agent }, "test-limit");
        var clients = new[] { Client(redisA, "LimiterA/1.0"), Client(redisB, "LimiterB/1.0") };
        try
        {
            // Connections opened and the send path compiled first: a cold first request can leave late and land with later ones.
            foreach (var client in clients) await client.GetPageAsync(new Uri(shop.BaseAddress, "/ping"), CancellationToken.None);
            shop.ClearRequests();

            // 8 workers per client, 30 requests each client: unlimited, they would send all 60 within milliseconds.
            await Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, 8).Select(async worker =>
            {
                for (var i = worker; i < 30; i += 8) await client.GetPageAsync(new Uri(shop.BaseAddress, "/ping"), CancellationToken.None);
            })));

            var arrivals = shop.Requests.Select(r => r.At).ToList();
            Assert.Equal(60, arrivals.Count);
            Assert.Equal(30, shop.Requests.Count(r => r.UserAgent == "LimiterA/1.0"));
            // A window of 1 s holds at most rate + burst requests; 50 ms less absorbs the delivery jitter of loopback HTTP.
            var most = RateWindows.MostIn(arrivals, TimeSpan.FromMilliseconds(950));
            Assert.True(most <= rate + burst, $"{most} requests within 950 ms at a limit of {rate}/s, burst {burst}; arrivals (ms): " +
                string.Join(", ", shop.Requests.Select(r => $"{r.At.TotalMilliseconds:F0}{r.UserAgent![7]}")));
        }
        finally
        {
            await RedisKeys.DeleteByPrefixAsync(host.Redis, prefix);
        }
    }
}
