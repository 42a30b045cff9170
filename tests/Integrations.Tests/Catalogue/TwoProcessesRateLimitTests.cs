using Jobs.JobTree;
using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Plugins.Catalogue;
using Jobs.Integrations.Tests.Http;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Npgsql;

namespace Jobs.Integrations.Tests.Catalogue;

/// <summary>
/// Two Integrations processes (the built service, started as processes on a virtual host and database of their own) crawl
/// product pages of one shop host from the same queue; the shop counts what arrives.
/// </summary>
public sealed class TwoProcessesRateLimitTests(HostFixture host) : IClassFixture<HostFixture>
{
    private const double Rate = 10;
    private const int Burst = 2;

    [Fact]
    public async Task When_two_integrations_processes_crawl_one_host_Should_together_never_exceed_its_rate_limit()
    {
        var products = ShopProduct.Catalogue([2010, 2011], 40);
        await using var shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, products, pageSize: 40);
        var httpPrefix = $"test-http-{Guid.NewGuid():N}:";
        var cataloguePrefix = $"test-catalogue-{Guid.NewGuid():N}:";
        var platformBefore = await host.Redis.GetDatabase().HashGetAsync(PlatformCatalog.Key, "catalogue");
        var vhost = await Infrastructure.CreateVirtualHostAsync("catalogue-rate");
        var database = await Infrastructure.CreateDatabaseAsync("catalogue_rate");
        var processes = new List<ServiceProcess>();
        try
        {
            Dictionary<string, string> Environment(string agent) => new()
            {
                [Connections.RabbitMqKey] = vhost.ToString(),
                [Connections.RedisKey] = Infrastructure.RedisAsync().Result,
                [Connections.PostgresKey] = database,
                ["Integrations__Enabled__0"] = "catalogue",
                // One message at a time each, so both processes take messages off the queue.
                ["Integrations__PrefetchCount"] = "1",
                ["Integrations__ConcurrentMessageLimit"] = "2",
                ["Integrations__ParallelChildrenPerMessage"] = "4",
                ["Integrations__Http__KeyPrefix"] = httpPrefix,
                ["Integrations__Http__UserAgent"] = agent,
                ["Integrations__Http__Hosts__127.0.0.1__RequestsPerSecond"] = Rate.ToString(CultureInfo.InvariantCulture),
                ["Integrations__Http__Hosts__127.0.0.1__Burst"] = Burst.ToString(CultureInfo.InvariantCulture),
                ["Integrations__Http__Integrations__catalogue__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
                ["Catalogue__RedisPrefix"] = cataloguePrefix,
            };
            var dll = ServiceSystem.DllOf("Integrations");
            processes.Add(new ServiceProcess("Integrations-A", dll, Environment("RateTestA/1.0")));
            processes.Add(new ServiceProcess("Integrations-B", dll, Environment("RateTestB/1.0")));
            await Task.WhenAll(processes.Select(p => p.StartAsync()));

            // 80 product pages in 20 messages of 4, as a year list would spawn them.
            var root = Guid.NewGuid();
            var parent = JobIds.Child(JobIds.Entry(root), 0);
            var jobs = products.Select((p, i) => new ChildJob(JobIds.Child(parent, i), parent, root, 3, CatalogueIntegration.ProductTask,
                JsonSerializer.SerializeToElement(new CatalogueStep
                {
                    Vendor = "hookedonhallmark_com",
                    BaseUrl = shop.BaseAddress.ToString(),
                    SyncIntervalHours = 24,
                    Url = shop.ProductUrl(p),
                    Year = p.Year,
                }, SettingsJson.Options))).ToList();
            foreach (var batch in jobs.Chunk(4))
                await BrokerMessages.PublishAsync(vhost, IntegrationQueues.QueueName("catalogue"), new RunChildJobs(root, "catalogue", batch));

            await using var postgres = NpgsqlDataSource.Create(database);
            await Eventually.Until(async () =>
            {
                await using var command = postgres.CreateCommand("SELECT count(*) FROM products");
                return (long)(await command.ExecuteScalarAsync())!;
            }, n => n == products.Count, TimeSpan.FromSeconds(90),
                $"{products.Count} products stored\n{string.Join("\n", processes.Select(p => p.Tail(20)))}");

            var productRequests = shop.Requests.Where(r => r.PathAndQuery.StartsWith("/product/", StringComparison.Ordinal)).ToList();
            Assert.Equal(products.Count, productRequests.Count);
            // Counted once both processes are warm (8 requests each, as many as either runs at once): a cold process opening
            // its first connections can hold requests that passed the limiter in time and then let them out together.
            var agents = new[] { "RateTestA/1.0", "RateTestB/1.0" };
            Assert.All(agents, agent => Assert.True(productRequests.Count(r => r.UserAgent == agent) >= 8, $"{agent} took too little part"));
            var warm = agents.Max(agent => shop.Requests.Where(r => r.UserAgent == agent).Select(r => r.At).Order().ElementAt(7));
            var measured = shop.Requests.Where(r => r.At >= warm).Select(r => (r.At, r.UserAgent ?? "")).ToList();
            Assert.True(measured.Count >= products.Count / 2, $"only {measured.Count} requests after both processes were warm");
            // At most 52 in any 4 s; with a limit per process about 80 would arrive.
            RateWindows.AssertWithin(measured, Rate, Burst, window: TimeSpan.FromSeconds(5), jitter: TimeSpan.FromSeconds(1));
        }
        finally
        {
            foreach (var process in processes) await process.DisposeAsync();
            await Infrastructure.DeleteVirtualHostAsync(vhost);
            await Infrastructure.DropDatabaseAsync(database);
            await RedisKeys.DeleteByPrefixAsync(host.Redis, httpPrefix);
            await RedisKeys.DeleteByPrefixAsync(host.Redis, cataloguePrefix);
            if (platformBefore.IsNull) await host.Redis.GetDatabase().HashDeleteAsync(PlatformCatalog.Key, "catalogue");
            else await host.Redis.GetDatabase().HashSetAsync(PlatformCatalog.Key, "catalogue", platformBefore);
        }
    }
}
