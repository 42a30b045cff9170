using Jobs.JobTree;
using System.Net.Http.Json;
using Jobs.Contracts;
using Jobs.TestSupport;

namespace Jobs.Faults.Tests;

/// <summary>
/// A schedule firing every 2 seconds across a PostgreSQL outage and a RabbitMQ outage, the Scheduler left running:
/// every fire time from the first to the last has exactly one root job, and each of them ran to its end. Before fires
/// retried transient errors, the fire that met PostgreSQL's restart (57P01 on a pooled connection) started nothing.
/// </summary>
[Collection(FaultsCollection.Name)]
[Trait("Category", "Faults")]
public sealed class ScheduleOutageTests(FaultsFixture system)
{
    private const string Schedule = "faults-every-2-seconds";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_schedule_firing_every_2_seconds_across_a_PostgreSQL_and_a_RabbitMQ_outage_runs_every_fire_time_exactly_once()
    {
        var response = await system.Api.PutAsJsonAsync($"schedules/{Schedule}", new
        {
            cron = "0/2 * * * * ?",
            timeZone = "UTC",
            platform = "synthetic",
            settings = new { children = 1 },
            misfire = ScheduleMisfire.FireOnceNow,
            overlap = ScheduleOverlap.Allow,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await Eventually.Until(() => RunsAsync(), runs => runs.Count >= 3, TimeSpan.FromSeconds(60), "the first fires");
        var consumers = await system.BaselineConsumersAsync();

        try
        {
            await Servers.StopPostgresAsync();
            await Task.Delay(TimeSpan.FromSeconds(12));
            await Servers.StartPostgresAsync();
            await Task.Delay(TimeSpan.FromSeconds(10));
            await Servers.StopRabbitMqAppAsync();
            await Task.Delay(TimeSpan.FromSeconds(12));
            await Servers.StartRabbitMqAppAsync();
        }
        finally
        {
            await Servers.StartRabbitMqAsync();
            await Servers.StartPostgresAsync();
        }

        var resumed = DateTimeOffset.UtcNow;
        await Eventually.Until(() => RunsAsync(), runs => runs.Count > 0 && runs.Max(r => r.ScheduledAt) > resumed.AddSeconds(6),
            TimeSpan.FromMinutes(2), "fires after both outages");
        await Eventually.Until(system.ConsumersAsync, now => consumers.All(q => now.GetValueOrDefault(q.Key) >= q.Value), TimeSpan.FromSeconds(90),
            $"every consumer back on its queue: {string.Join(", ", consumers.Select(q => $"{q.Key} {q.Value}"))}");
        var paused = await system.Api.PostAsync($"schedules/{Schedule}/pause", null);
        Assert.True(paused.IsSuccessStatusCode, $"{await paused.Content.ReadAsStringAsync()}\n{system.Diagnostics()}");

        // Every fire's job ends (the Scheduler hears of it), then: one run per fire time, the id derived from it, none failed.
        List<(Guid RootJobId, DateTimeOffset ScheduledAt, string? Outcome)> runs;
        try
        {
            runs = await Eventually.Until(() => RunsAsync(), all => all.All(r => r.Outcome is not null), TimeSpan.FromMinutes(2),
                "every scheduled job to end");
        }
        catch (TimeoutException timeout)
        {
            // Which runs have no outcome, what the API says of their jobs, and the services' last lines: to tell a job that never
            // ended from an end the Scheduler never heard of.
            var open = (await RunsAsync()).Where(r => r.Outcome is null).ToList();
            var statuses = new List<string>();
            foreach (var run in open.Take(5)) statuses.Add($"{run.RootJobId} at {run.ScheduledAt:O}: {await system.StatusAsync(run.RootJobId)}");
            throw new TimeoutException($"{timeout.Message}\n{open.Count} run(s) without an outcome:\n{string.Join("\n", statuses)}\n" +
                                       $"consumers: {string.Join(", ", (await system.ConsumersAsync()).Select(q => $"{q.Key} {q.Value}"))}\n{system.Diagnostics()}", timeout);
        }

        var times = runs.Select(r => r.ScheduledAt).Order().ToList();
        var missing = new List<DateTimeOffset>();
        for (var at = times[0]; at <= times[^1]; at += Interval)
            if (!times.Contains(at)) missing.Add(at);
        Assert.True(missing.Count == 0, $"fire times without a run: {string.Join(", ", missing.Select(t => t.ToString("O")))}\n{system.Diagnostics()}");
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.All(runs, r =>
        {
            Assert.Equal(JobIds.ForSchedule(Schedule, r.ScheduledAt), r.RootJobId);
            Assert.Equal("Completed", r.Outcome);
        });
        var audited = await system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE schedule = $1 AND status = 'Completed'", Schedule);
        Assert.Equal(runs.Count, audited);
        Assert.True(times.Count(t => t > resumed.AddSeconds(-40) && t < resumed) >= 10, "the outages were not inside the observed fires");
    }

    private async Task<List<(Guid RootJobId, DateTimeOffset ScheduledAt, string? Outcome)>> RunsAsync()
    {
        try
        {
            return await system.QueryAsync("SELECT root_job_id, scheduled_at, outcome FROM schedule_runs WHERE schedule = $1",
                r => (r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.IsDBNull(2) ? null : r.GetString(2)), Schedule);
        }
        catch (Npgsql.NpgsqlException)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            return [];
        }
    }
}
