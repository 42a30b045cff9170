using System.Text.Json;
using Jobs.Contracts;
using Jobs.TestSupport;
using Xunit.Abstractions;

namespace Jobs.Faults.Tests;

/// <summary>
/// Each server taken down in the middle of a 3,000-child job (1,000 children with 2 grandchildren each), with the five
/// services left running: the job still counts exactly 3,000, the audit trail holds every child within 30 s of the end,
/// every consumer is back on its queue (the broker's own count), and the next job completes.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class OutageTests(FaultsFixture system, ITestOutputHelper output)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);
    private static readonly object ThreeThousand = new { children = 1000, grandchildren = 2, work_ms = 300 };

    /// <summary>The same job with nothing taken down: the reference for the times the outage cases print.</summary>
    [Fact]
    public Task Without_an_outage_the_same_job_counts_3000_and_passes_the_same_checks() => SurvivesAsync(() => Task.CompletedTask);

    [Fact]
    public Task RabbitMq_stop_app_and_start_app_mid_job_loses_and_doubles_nothing() =>
        SurvivesAsync(async () =>
        {
            await Servers.StopRabbitMqAppAsync();
            await Task.Delay(TimeSpan.FromSeconds(10));
            await Servers.StartRabbitMqAppAsync();
        });

    [Fact]
    public Task RabbitMq_killed_with_signal_9_and_started_again_mid_job_loses_and_doubles_nothing() =>
        SurvivesAsync(async () =>
        {
            await Servers.KillRabbitMqAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await Servers.StartRabbitMqAsync();
        });

    [Fact]
    public Task Redis_killed_with_signal_9_and_started_again_from_its_aof_mid_job_loses_and_doubles_nothing() =>
        SurvivesAsync(async () =>
        {
            await Servers.KillRedisAsync();
            var during = await system.Api.GetAsync($"jobs/{Guid.NewGuid()}/status");
            await Task.Delay(TimeSpan.FromSeconds(3));
            await Servers.StartRedisAsync();
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, during.StatusCode);
        });

    [Fact]
    public Task PostgreSQL_fast_stop_and_start_mid_job_loses_and_doubles_nothing() =>
        SurvivesAsync(async () =>
        {
            await Servers.StopPostgresAsync();
            var during = await system.Api.GetAsync("jobs?pageSize=1");
            await Task.Delay(TimeSpan.FromSeconds(10));
            await Servers.StartPostgresAsync();
            // The API says the store is down, and that trying again later is the thing to do.
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.Equal("PostgreSQL is unavailable", System.Text.Json.JsonDocument.Parse(await during.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
        });

    /// <summary>
    /// When consumers are missing: what each service's bus health says now, and
    /// every log line that names a queue left without its consumer (to tell an endpoint that faulted and stayed faulted from one that
    /// never noticed the broker went away).
    /// </summary>
    private async Task WriteDefectDiagnosticsAsync(string missing)
    {
        var queues = missing.Split(", ").Select(q => q.Split(' ')[0]).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var service in system.Services)
        {
            try
            {
                using var ready = await http.GetAsync(new Uri(service.BaseAddress, "health/ready"));
                output.WriteLine($"{service.Name} /health/ready {(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync()}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                output.WriteLine($"{service.Name} /health/ready: {ex.Message}");
            }

            foreach (var line in service.Output().Split('\n').Where(l => queues.Any(q => l.Contains(q, StringComparison.Ordinal))).TakeLast(40))
                output.WriteLine($"{service.Name} log: {line.TrimEnd()}");
        }
    }

    /// <summary>The endpoints each service's consumer watchdog restarted (its <c>bus_endpoint_restarts_total</c>), for the log.</summary>
    private async Task WriteWatchdogRestartsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var service in system.Services)
        {
            try
            {
                var metrics = await http.GetStringAsync(new Uri(service.BaseAddress, "metrics"));
                foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("bus_endpoint_restarts_total{", StringComparison.Ordinal)))
                    output.WriteLine($"{service.Name} consumer watchdog: {line}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                output.WriteLine($"{service.Name} /metrics: {ex.Message}");
            }
        }
    }

    private async Task SurvivesAsync(Func<Task> outage)
    {
        var consumers = await system.BaselineConsumersAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var id = await system.SubmitAsync(ThreeThousand);
        var progress = await Eventually.Until(() => system.StatusAsync(id), j => Completed(j) >= 200, JobTimeout, "the first 200 children");
        Assert.True(Completed(progress) < 3000, "the job finished before the outage");

        var outageStarted = clock.Elapsed;
        try
        {
            await outage();
        }
        finally
        {
            // Whatever happened, the next test finds every server up.
            await Servers.StartRabbitMqAsync();
            await Servers.StartRedisAsync();
            await Servers.StartPostgresAsync();
        }

        var restored = clock.Elapsed;
        var job = await system.WaitForEndAsync(id, JobTimeout);
        var ended = clock.Elapsed;
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((3000L, 3000L, 0L), Counts(job));

        // The audit trail catches up within 30 s of the end: the root as it ended and one row per child.
        var end = DateTime.UtcNow;
        var audited = await Eventually.Until(async () => (
                Children: await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1 AND status = 'Completed'", id),
                Root: await system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Completed' AND completed = 3000", id)),
            a => a.Children >= 3000 && a.Root == 1, TimeSpan.FromSeconds(30), "the audit trail of the job");
        Assert.Equal(3000, audited.Children);
        Assert.True(DateTime.UtcNow - end < TimeSpan.FromSeconds(31));
        var auditedAfter = DateTime.UtcNow - end;

        // Every queue that had consumers has them again, as the broker counts them.
        var back = new Dictionary<string, int>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (Missing(consumers, back = await system.ConsumersAsync()) is { Length: > 0 } && DateTime.UtcNow < deadline) await Task.Delay(500);
        if (Missing(consumers, back) is { Length: > 0 } missing)
        {
            await WriteDefectDiagnosticsAsync(missing);
            await WriteWatchdogRestartsAsync();
            Assert.Fail($"consumers not back on their queues 90 s after the outage: {missing}");
        }

        await WriteWatchdogRestartsAsync();
        var next = await system.SubmitAsync(new { children = 10 });
        var nextJob = await system.WaitForEndAsync(next, TimeSpan.FromSeconds(60));
        Assert.Equal("Completed", nextJob.GetProperty("status").GetString());
        Assert.Equal((10L, 10L, 0L), Counts(nextJob));
        // What README's "Failure behaviour" quotes.
        output.WriteLine($"outage at {outageStarted.TotalSeconds:0.0} s ({Completed(progress)} counted), servers back at {restored.TotalSeconds:0.0} s, " +
                         $"job Completed (3000/3000) at {ended.TotalSeconds:0.0} s, audit complete {auditedAfter.TotalSeconds:0.0} s after the end, " +
                         $"consumers back and the next job done at {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The queues with fewer consumers than before, with both counts; empty when every one is back.</summary>
    private static string Missing(Dictionary<string, int> before, Dictionary<string, int> now) =>
        string.Join(", ", before.Where(q => now.GetValueOrDefault(q.Key) < q.Value).Select(q => $"{q.Key} {now.GetValueOrDefault(q.Key)} of {q.Value}"));

    internal static long Completed(JsonElement job) =>
        job.TryGetProperty("children", out var c) && c.ValueKind == JsonValueKind.Object ? c.GetProperty("completed").GetInt64() : 0;

    internal static (long, long, long) Counts(JsonElement job)
    {
        var c = job.GetProperty("children");
        return (c.GetProperty("total").GetInt64(), c.GetProperty("completed").GetInt64(), c.GetProperty("failed").GetInt64());
    }
}
