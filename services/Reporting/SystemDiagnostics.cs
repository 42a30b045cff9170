using Jobs.JobTree;
using System.Diagnostics;
using System.Text.Json;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Reporting;

public sealed record DependencyCheck(string Name, bool Ok, double LatencyMs, string? Detail, string? Error);

public sealed record DiagnosticsReport(string Status, IReadOnlyList<DependencyCheck> Checks);

/// <summary>
/// <c>POST /system/alive</c>: checks every dependency the platform needs, each with its latency and error:
/// RabbitMQ (the bus and the management API), Redis, PostgreSQL, Seq when configured, and whether each
/// integration's queue has a consumer.
/// </summary>
public sealed class SystemDiagnostics(
    IBusControl bus,
    IConnectionMultiplexer redis,
    NpgsqlDataSource postgres,
    PlatformCatalog catalog,
    IHttpClientFactory http,
    RabbitMqManagement managementApi,
    IOptions<SeqOptions> seqOptions)
{
    public async Task<DiagnosticsReport> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<DependencyCheck>
        {
            await CheckAsync("rabbitmq", () =>
            {
                var health = bus.CheckHealth();
                return Task.FromResult<string?>(health.Status == BusHealthStatus.Healthy
                    ? health.Description
                    : throw new InvalidOperationException($"bus is {health.Status}: {health.Description}"));
            }),
            await CheckAsync("redis", async () => $"ping {(await redis.GetDatabase().PingAsync()).TotalMilliseconds:F1} ms"),
            await CheckAsync("postgresql", async () =>
            {
                await using var command = postgres.CreateCommand("SELECT version()");
                return (string?)await command.ExecuteScalarAsync(cancellationToken);
            }),
        };

        if (seqOptions.Value is { Enabled: true, ServerUrl: { } seq })
        {
            checks.Add(await CheckAsync("seq", async () =>
            {
                using var response = await http.CreateClient("diagnostics").GetAsync(new Uri(new Uri(seq), "api"), cancellationToken);
                response.EnsureSuccessStatusCode();
                return $"{(int)response.StatusCode} from {seq}";
            }));
        }

        using var management = managementApi.Client();
        var vhost = managementApi.VirtualHost;
        checks.Add(await CheckAsync("rabbitmq-management", async () =>
        {
            using var response = await management.GetAsync("api/overview", cancellationToken);
            response.EnsureSuccessStatusCode();
            return "management API answers";
        }));
        // Both queues of every platform (bulk and interactive): a platform is served only while both have a consumer.
        foreach (var (platform, queue) in (await catalog.ListAsync()).SelectMany(p => Jobs.JobTree.IntegrationQueues.QueueNames(p.Name).Select(q => (p, q))))
        {
            checks.Add(await CheckAsync($"queue {queue}", async () =>
            {
                using var response = await management.GetAsync($"api/queues/{vhost}/{queue}", cancellationToken);
                response.EnsureSuccessStatusCode();
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var consumers = body.RootElement.TryGetProperty("consumers", out var c) ? c.GetInt32() : 0;
                var messages = body.RootElement.TryGetProperty("messages", out var m) ? m.GetInt64() : 0;
                return consumers > 0
                    ? $"{consumers} consumer(s), {messages} message(s) waiting"
                    : throw new InvalidOperationException($"no consumer: no Integrations process hosts '{platform.Name}' ({messages} message(s) waiting)");
            }));
        }

        return new DiagnosticsReport(checks.All(c => c.Ok) ? "ok" : "degraded", checks);
    }

    private static async Task<DependencyCheck> CheckAsync(string name, Func<Task<string?>> probe)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var detail = await probe().WaitAsync(TimeSpan.FromSeconds(5));
            return new DependencyCheck(name, true, watch.Elapsed.TotalMilliseconds, detail, null);
        }
        catch (Exception ex)
        {
            return new DependencyCheck(name, false, watch.Elapsed.TotalMilliseconds, null, ex.Message);
        }
    }
}
