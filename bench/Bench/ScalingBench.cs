using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Bench;

/// <summary>
/// Children/s of a 10,000-child job with 1, 2 and 3 Integrations processes and with 1 and 2 Integrators, and what one child
/// costs each server (messages through RabbitMQ, Redis commands, PostgreSQL row writes) and each service (CPU ms): the inputs
/// of docs/scaling.md's capacity model.
/// </summary>
internal static class ScalingBench
{
    private sealed record Layout(string Name, int Integrations, int Integrators);

    public static async Task<int> RunAsync(string[] args)
    {
        var children = int.Parse(BenchArgs.Value(args, "--scaling-children", "50000"), CultureInfo.InvariantCulture);
        var waitingChildren = int.Parse(BenchArgs.Value(args, "--scaling-waiting-children", "5000"), CultureInfo.InvariantCulture);
        const int waitingMs = 200;
        Layout[] layouts =
        [
            new("1 Integrations, 1 Integrator", 1, 1),
            new("2 Integrations, 1 Integrator", 2, 1),
            new("3 Integrations, 1 Integrator", 3, 1),
            new("1 Integrations, 2 Integrators", 1, 2),
        ];
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; each layout on a fresh virtual host: a warm-up job, then synthetic jobs of " +
                          $"{children:N0} no-op children (work_ms=0: the platform's own cost) and of {waitingChildren:N0} children that each wait " +
                          $"{waitingMs} ms (work_ms={waitingMs}: children that wait on the outside world, as HTTP fetches do)");
        Console.WriteLine();
        Console.WriteLine($"| layout | no-op: wall s | no-op: children/s | waiting {waitingMs} ms: children/s | RabbitMQ msgs/child | Redis cmds/child | " +
                          "PostgreSQL rows/child | CPU ms/child per service |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|");
        var redisOptions = Connections.RedisOptions(await Infrastructure.RedisAsync());
        redisOptions.AllowAdmin = true; // INFO, for the server's command count
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisOptions);
        foreach (var layout in layouts)
        {
            await using var system = await ServiceSystem.StartAsync("scaling", new Dictionary<string, string>
            {
                ["Schedules__0__Enabled"] = "false",
                ["Security__RateLimit__PermitsPerSecond"] = "100000",
                ["Security__RateLimit__Burst"] = "100000",
            }, "Release", instancesOf: new Dictionary<string, int> { ["Integrations"] = layout.Integrations, ["Integrator"] = layout.Integrators });
            using var api = system.ApiClient();
            using var management = Infrastructure.Management(system.VirtualHost);
            var vhost = system.VirtualHost.AbsolutePath.TrimStart('/');

            await RunJobAsync(api, system, 10_000, 0); // warm-up
            await SettleAsync(system);
            var before = await CountersAsync(management, vhost, redis, system);
            var (id, seconds) = await RunJobAsync(api, system, children, 0);
            await SettleAsync(system, id, children);
            var after = await CountersAsync(management, vhost, redis, system);
            var (_, waiting) = await RunJobAsync(api, system, waitingChildren, waitingMs);

            var cpu = after.Cpu.GroupBy(c => c.Key.Split('-')[0])
                .Select(g => $"{g.Key} {g.Sum(c => c.Value - before.Cpu.GetValueOrDefault(c.Key)) * 1000 / children:F3}");
            Console.WriteLine($"| {layout.Name} | {seconds:F2} | {children / seconds:N0} | {waitingChildren / waiting:N0} | " +
                              $"{(after.Messages - before.Messages) / (double)children:F3} | {(after.RedisCommands - before.RedisCommands) / (double)children:F2} | " +
                              $"{(after.PostgresRows - before.PostgresRows) / (double)children:F2} | {string.Join(", ", cpu)} |");
        }

        Console.WriteLine();
        Console.WriteLine("Counters of the no-op job, read once its audit trail was complete: RabbitMQ messages published in the layout's own virtual host; " +
                          "Redis commands are the server's total (other clients of the same Redis count too); PostgreSQL rows inserted and updated in " +
                          "the layout's audit database; CPU time of each service's processes together.");
        return 0;
    }

    /// <summary>
    /// Until the audit trail holds the job's children (when one is given), then 11 s more: PostgreSQL reports a backend's row counts
    /// once it has been idle for 10 s, and the management API refreshes its counters every 5 s.
    /// </summary>
    private static async Task SettleAsync(ServiceSystem system, Guid? id = null, int children = 0)
    {
        if (id is { } root)
            await Eventually.Until(async () =>
            {
                await using var connection = new NpgsqlConnection(system.AuditDatabase);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = root });
                return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
            }, n => n >= children, TimeSpan.FromMinutes(5), "the audit trail of the measured job");
        await Task.Delay(TimeSpan.FromSeconds(11));
    }

    private sealed record Counters(long Messages, long RedisCommands, long PostgresRows, Dictionary<string, double> Cpu);

    private static async Task<Counters> CountersAsync(HttpClient management, string vhost, ConnectionMultiplexer redis, ServiceSystem system)
    {
        var overview = await management.GetFromJsonAsync<JsonElement>($"api/vhosts/{vhost}");
        var published = overview.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("publish", out var publish) ? publish.GetInt64() : 0;
        var info = (await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("stats")).SelectMany(g => g)
            .First(p => p.Key == "total_commands_processed").Value;
        long rows;
        await using (var connection = new NpgsqlConnection(system.AuditDatabase))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables", connection);
            rows = Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        return new Counters(published, long.Parse(info, CultureInfo.InvariantCulture), rows,
            system.Services.ToDictionary(s => s.Name, s => s.CpuSeconds() ?? 0));
    }

    private static async Task<(Guid Id, double Seconds)> RunJobAsync(HttpClient api, ServiceSystem system, int children, int workMs)
    {
        var watch = Stopwatch.StartNew();
        var response = await api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children, work_ms = workMs } });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        while (true)
        {
            var job = await api.GetFromJsonAsync<JsonElement>($"jobs/{id}/status?wait=5");
            var status = job.GetProperty("status").GetString();
            if (status is "Completed") return (id, watch.Elapsed.TotalSeconds);
            if (status is "CompletedWithFailures" or "Failed" or "Cancelled")
                throw new InvalidOperationException($"the job of {children} children ended {status}:\n{system.Diagnostics()}");
            if (watch.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"the job of {children} children did not end:\n{system.Diagnostics()}");
        }
    }
}
