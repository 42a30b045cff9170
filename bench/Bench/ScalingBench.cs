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
    /// <param name="WaitForReplicas">Null: the Redis of <c>REDIS_URL</c>. A number: the failing-over Redis of infra/sentinel.sh, with
    /// <c>Redis:WaitForReplicas</c> set to it (0: the same Redis without waiting, the reference for the cost of waiting).</param>
    private sealed record Layout(string Name, int Integrations, int Integrators, int? WaitForReplicas = null);

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
            new("1 and 1, Redis with a replica and Sentinels, no WAIT", 1, 1, 0),
            new("1 and 1, Redis with a replica and Sentinels, WAIT for 1 replica", 1, 1, 1),
        ];
        string? sentinels = null;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; each layout on a fresh virtual host: a warm-up job, then synthetic jobs of " +
                          $"{children:N0} no-op children (work_ms=0: the platform's own cost) and of {waitingChildren:N0} children that each wait " +
                          $"{waitingMs} ms (work_ms={waitingMs}: children that wait on the outside world, as HTTP fetches do)");
        Console.WriteLine();
        Console.WriteLine($"| layout | no-op: wall s | no-op: children/s | waiting {waitingMs} ms: children/s | RabbitMQ msgs/child | Redis cmds/child | " +
                          "PostgreSQL rows/child | CPU ms/child per service |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var layout in layouts)
        {
            var settings = new Dictionary<string, string>
            {
                ["Schedules__0__Enabled"] = "false",
                ["Security__RateLimit__PermitsPerSecond"] = "100000",
                ["Security__RateLimit__Burst"] = "100000",
            };
            if (layout.WaitForReplicas is { } replicas)
            {
                sentinels ??= await SentinelsAsync();
                settings[Connections.RedisKey] = sentinels;
                settings["Redis__WaitForReplicas"] = replicas.ToString(CultureInfo.InvariantCulture);
            }

            // The layout's Redis, for its command count (INFO needs admin mode).
            var redisOptions = Connections.RedisOptions(settings.GetValueOrDefault(Connections.RedisKey) ?? await Infrastructure.RedisAsync());
            redisOptions.AllowAdmin = true;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(redisOptions);
            await using var system = await ServiceSystem.StartAsync("scaling", settings, "Release", instancesOf: new Dictionary<string, int> { ["Integrations"] = layout.Integrations, ["Integrator"] = layout.Integrators });
            using var api = system.ApiClient();
            using var management = Infrastructure.Management(system.VirtualHost);
            var vhost = system.VirtualHost.AbsolutePath.TrimStart('/');

            await RunJobAsync(api, system, 10_000, 0); // warm-up
            await SettleAsync(management, vhost);
            var before = await CountersAsync(management, vhost, redis, system);
            var seconds = await RunJobAsync(api, system, children, 0);
            await SettleAsync(management, vhost);
            var after = await CountersAsync(management, vhost, redis, system);
            var waiting = await RunJobAsync(api, system, waitingChildren, waitingMs);

            var cpu = after.Cpu.GroupBy(c => c.Key.Split('-')[0])
                .Select(g => $"{g.Key} {g.Sum(c => c.Value - before.Cpu.GetValueOrDefault(c.Key)) * 1000 / children:F3}");
            Console.WriteLine($"| {layout.Name} | {seconds:F2} | {children / seconds:N0} | {waitingChildren / waiting:N0} | " +
                              $"{(after.Messages - before.Messages) / (double)children:F3} | {(after.RedisCommands - before.RedisCommands) / (double)children:F2} | " +
                              $"{(after.PostgresRows - before.PostgresRows) / (double)children:F2} | {string.Join(", ", cpu)} |");
        }

        if (sentinels is not null) await Script("infra/sentinel.sh", "down");
        Console.WriteLine();
        Console.WriteLine("Counters of the no-op job, read once its audit trail was complete: RabbitMQ messages published in the layout's own virtual host; " +
                          "Redis commands are the server's total (other clients of the same Redis count too); PostgreSQL rows inserted and updated in " +
                          "the layout's audit database; CPU time of each service's processes together.");
        return 0;
    }

    /// <summary>
    /// Until no queue of the layout's virtual host holds a message (the Auditor has consumed the job's events), then 11 s more:
    /// PostgreSQL reports a backend's row counts once it has been idle for 10 s, and the management API refreshes every 5 s.
    /// </summary>
    private static async Task SettleAsync(HttpClient management, string vhost)
    {
        await Eventually.Until(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{vhost}?columns=messages");
            return queues.EnumerateArray().Sum(q => q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0);
        }, waiting => waiting == 0, TimeSpan.FromMinutes(5), "idle queues");
        await Task.Delay(TimeSpan.FromSeconds(11));
    }

    private static async Task<long> AuditRowsAsync(ServiceSystem system)
    {
        await using var connection = new NpgsqlConnection(system.AuditDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Starts infra/sentinel.sh's primary, replica and Sentinels; the REDIS_URL that names them.</summary>
    private static async Task<string> SentinelsAsync()
    {
        await Script("infra/sentinel.sh", "up");
        return (await Script("infra/sentinel.sh", "env")).Trim()["REDIS_URL=".Length..];
    }

    private static async Task<string> Script(string script, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", $"{Path.Combine(ServiceSystem.RepositoryRoot(), script)} {arguments}")
        {
            RedirectStandardOutput = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{script} {arguments} exited with {process.ExitCode}");
    }

    private sealed record Counters(long Messages, long RedisCommands, long PostgresRows, Dictionary<string, double> Cpu);

    private static async Task<Counters> CountersAsync(HttpClient management, string vhost, ConnectionMultiplexer redis, ServiceSystem system)
    {
        var overview = await management.GetFromJsonAsync<JsonElement>($"api/vhosts/{vhost}");
        var published = overview.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("publish", out var publish) ? publish.GetInt64() : 0;
        var info = (await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("stats")).SelectMany(g => g)
            .First(p => p.Key == "total_commands_processed").Value;
        var rows = await AuditRowsAsync(system);
        return new Counters(published, long.Parse(info, CultureInfo.InvariantCulture), rows,
            system.Services.ToDictionary(s => s.Name, s => s.CpuSeconds() ?? 0));
    }

    private static async Task<double> RunJobAsync(HttpClient api, ServiceSystem system, int children, int workMs)
    {
        var watch = Stopwatch.StartNew();
        var response = await api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children, work_ms = workMs } });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        while (true)
        {
            var job = await api.GetFromJsonAsync<JsonElement>($"jobs/{id}/status?wait=5");
            var status = job.GetProperty("status").GetString();
            if (status is "Completed") return watch.Elapsed.TotalSeconds;
            if (status is "CompletedWithFailures" or "Failed" or "Cancelled")
                throw new InvalidOperationException($"the job of {children} children ended {status}:\n{system.Diagnostics()}");
            if (watch.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"the job of {children} children did not end:\n{system.Diagnostics()}");
        }
    }
}
