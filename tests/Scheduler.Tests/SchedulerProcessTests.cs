using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;

namespace Jobs.Scheduler.Tests;

/// <summary>
/// Scheduler processes against the real RabbitMQ (a virtual host of their own) and PostgreSQL (a database
/// of their own). What they fire is read off the <c>jobs.start</c> queue, where no Integrator consumes.
/// Every fire's root job id is derived from the schedule and the scheduled time, so a fire handled twice
/// shows up as a repeated id.
/// </summary>
public sealed class SchedulerProcessTests : IAsyncLifetime
{
    private readonly List<ServiceProcess> _schedulers = [];
    private readonly List<JsonElement> _started = [];
    private Uri _vhost = null!;
    private string _database = null!;

    public async Task InitializeAsync()
    {
        _vhost = await Infrastructure.CreateVirtualHostAsync("scheduler-tests");
        _database = await Infrastructure.CreateDatabaseAsync("scheduler_tests");
    }

    public async Task DisposeAsync()
    {
        foreach (var scheduler in _schedulers) await scheduler.DisposeAsync();
        await Infrastructure.DeleteVirtualHostAsync(_vhost);
        await Infrastructure.DropDatabaseAsync(_database);
    }

    private Task<ServiceProcess> StartSchedulerAsync(params (string Name, string Cron, string Misfire, string Overlap)[] schedules) =>
        StartSchedulerAsync(new Dictionary<string, string>(), schedules);

    private async Task<ServiceProcess> StartSchedulerAsync(IReadOnlyDictionary<string, string> settings,
        params (string Name, string Cron, string Misfire, string Overlap)[] schedules)
    {
        var environment = new Dictionary<string, string>
        {
            [Connections.RabbitMqKey] = _vhost.ToString(),
            [Connections.PostgresKey] = _database,
            ["Scheduler__MisfireThreshold"] = "00:00:01",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        for (var i = 0; i < schedules.Length; i++)
        {
            environment[$"Schedules__{i}__Name"] = schedules[i].Name;
            environment[$"Schedules__{i}__Cron"] = schedules[i].Cron;
            environment[$"Schedules__{i}__TimeZone"] = "Europe/Berlin";
            environment[$"Schedules__{i}__Platform"] = "synthetic";
            environment[$"Schedules__{i}__Misfire"] = schedules[i].Misfire;
            environment[$"Schedules__{i}__Overlap"] = schedules[i].Overlap;
            environment[$"Schedules__{i}__Enabled"] = "true";
            environment[$"Schedules__{i}__Settings__children"] = "1";
        }

        var scheduler = new ServiceProcess("Scheduler", ServiceSystem.DllOf("Scheduler"), environment);
        _schedulers.Add(scheduler);
        await scheduler.StartAsync();
        return scheduler;
    }

    /// <summary>Every StartRootJob sent so far (taken off the queue and kept).</summary>
    private async Task<IReadOnlyList<JsonElement>> StartedAsync(string? schedule = null)
    {
        _started.AddRange(await BrokerMessages.TakeAsync(_vhost, IntegrationQueues.StartJobs));
        return _started.Where(m => schedule is null || m.GetProperty("schedule").GetString() == schedule).ToList();
    }

    private Task<IReadOnlyList<JsonElement>> WaitForStartedAsync(string schedule, int count) =>
        Eventually.Until(() => StartedAsync(schedule), list => list.Count >= count, TimeSpan.FromSeconds(60), $"{count} fires of {schedule}");

    private static void AssertNoFireTwice(IReadOnlyList<JsonElement> started)
    {
        var ids = started.Select(m => m.GetProperty("rootJobId").GetGuid()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Two_schedulers_together_fire_each_trigger_time_once()
    {
        await StartSchedulerAsync(("every-second", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Allow));
        await StartSchedulerAsync(("every-second", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Allow));

        var started = await WaitForStartedAsync("every-second", 8);

        AssertNoFireTwice(await StartedAsync("every-second"));
        Assert.True(started.Count >= 8);
    }

    [Fact]
    public async Task A_scheduler_restarted_between_two_fire_times_fires_the_next_one_once()
    {
        var scheduler = await StartSchedulerAsync(("every-3-seconds", "*/3 * * * * ?", ScheduleMisfire.FireOnceNow, ScheduleOverlap.Allow));
        var before = (await WaitForStartedAsync("every-3-seconds", 1)).Count;

        await scheduler.StopAsync();
        await scheduler.StartAsync();
        var after = await WaitForStartedAsync("every-3-seconds", before + 2);

        AssertNoFireTwice(after);
    }

    [Fact]
    public async Task While_the_previous_run_is_going_an_overlap_skip_schedule_starts_nothing()
    {
        var scheduler = await StartSchedulerAsync(("no-overlap", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Skip));
        var first = Assert.Single(await WaitForStartedAsync("no-overlap", 1));
        var skipped = await Eventually.Until(() => SkippedAsync(scheduler), n => n >= 3, TimeSpan.FromSeconds(30), "three skipped fires");
        Assert.True(skipped >= 3);
        Assert.Single(await StartedAsync("no-overlap"));

        // The run ends: the next fire goes through.
        var runId = first.GetProperty("rootJobId").GetGuid();
        await BrokerMessages.PublishAsync(_vhost, "Jobs.Contracts:RootJobCompleted",
            new RootJobCompleted(runId, "synthetic", "no-overlap", 1, 1, 0, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
        var started = await WaitForStartedAsync("no-overlap", 2);
        AssertNoFireTwice(started);
    }

    [Fact]
    public async Task Each_final_state_ends_an_overlap_skip_schedules_run_and_is_recorded_as_its_outcome()
    {
        await StartSchedulerAsync(
            ("ends-with-failures", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Skip),
            ("ends-failed", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Skip),
            ("ends-cancelled", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Skip));
        var runs = new Dictionary<string, Guid>();
        foreach (var schedule in new[] { "ends-with-failures", "ends-failed", "ends-cancelled" })
            runs[schedule] = Assert.Single(await WaitForStartedAsync(schedule, 1)).GetProperty("rootJobId").GetGuid();
        var now = DateTimeOffset.UtcNow;

        await BrokerMessages.PublishAsync(_vhost, "Jobs.Contracts:RootJobCompleted", new RootJobCompleted(runs["ends-with-failures"], "synthetic",
            "ends-with-failures", 3, 2, 1, now, now, JobStatus.CompletedWithFailures));
        await BrokerMessages.PublishAsync(_vhost, "Jobs.Contracts:RootJobFailed", new RootJobFailed(runs["ends-failed"], "synthetic", "ends-failed",
            3, 1, 1, "required task 'load' failed: boom", now, now));
        await BrokerMessages.PublishAsync(_vhost, "Jobs.Contracts:RootJobCancelled", new RootJobCancelled(runs["ends-cancelled"], "synthetic",
            "ends-cancelled", "operator asked", now, now));

        foreach (var (schedule, run) in runs)
        {
            AssertNoFireTwice(await WaitForStartedAsync(schedule, 2));
            var outcome = await Eventually.Until(() => OutcomeAsync(run), o => o is not null, TimeSpan.FromSeconds(30), $"the outcome of {schedule}'s run");
            Assert.Equal(schedule switch
            {
                "ends-with-failures" => JobStatus.CompletedWithFailures,
                "ends-failed" => JobStatus.Failed,
                _ => JobStatus.Cancelled,
            }, outcome);
        }
    }

    private async Task<string?> OutcomeAsync(Guid run)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT outcome FROM schedule_runs WHERE root_job_id = $1 AND finished_at IS NOT NULL", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = run });
        return await command.ExecuteScalarAsync() as string;
    }

    [Fact]
    public async Task After_a_pause_fire_once_now_catches_up_once_and_skip_waits_for_the_next_time()
    {
        await StartSchedulerAsync(
            ("catch-up", "0/10 * * * * ?", ScheduleMisfire.FireOnceNow, ScheduleOverlap.Allow),
            ("skip-missed", "0/10 * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Allow));
        await WaitForStartedAsync("catch-up", 1);
        await WaitForStartedAsync("skip-missed", 1);
        var firedAt = DateTime.UtcNow;

        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new PauseSchedule("catch-up"));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new PauseSchedule("skip-missed"));
        // Paused across the next fire time (firedAt + 10 s) and well past the 1 s misfire threshold.
        await Task.Delay(firedAt.AddSeconds(13.5) - DateTime.UtcNow);
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new ResumeSchedule("catch-up"));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new ResumeSchedule("skip-missed"));

        var caughtUp = await WaitForStartedAsync("catch-up", 2);
        Assert.True(DateTime.UtcNow < firedAt.AddSeconds(19.5), "the catch-up fire came only with the next regular fire time");
        Assert.Single(await StartedAsync("skip-missed"));
        AssertNoFireTwice(caughtUp);
    }

    [Fact]
    public async Task Schedules_are_created_triggered_and_deleted_through_the_bus_and_a_bad_one_is_refused_with_its_reasons()
    {
        await StartSchedulerAsync(("placeholder", "0 0 0 1 1 ? 2099", ScheduleMisfire.Skip, ScheduleOverlap.Allow));
        var settings = JsonSerializer.SerializeToElement(new { children = 1 });

        // Created at runtime, paused: nothing fires until it is triggered by hand.
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new UpsertSchedule(
            new ScheduleSpec("runtime", "* * * * * ?", "UTC", "synthetic", settings, ScheduleMisfire.Skip, ScheduleOverlap.Allow, Enabled: false)));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new TriggerSchedule("runtime"));
        var triggered = Assert.Single(await WaitForStartedAsync("runtime", 1));
        Assert.Equal(1, triggered.GetProperty("settings").GetProperty("children").GetInt32());

        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new ResumeSchedule("runtime"));
        await WaitForStartedAsync("runtime", 3);
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new DeleteSchedule("runtime"));
        var afterDelete = (await Eventually.Until(async () =>
        {
            var before = (await StartedAsync("runtime")).Count;
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            return (before, after: (await StartedAsync("runtime")).Count);
        }, counts => counts.before == counts.after, TimeSpan.FromSeconds(30), "no more fires after the delete")).after;
        AssertNoFireTwice(await StartedAsync("runtime"));
        Assert.True(afterDelete >= 3);

        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new UpsertSchedule(
            new ScheduleSpec("broken", "every minute", "Mars/Olympus", "synthetic", settings, "sometimes", ScheduleOverlap.Allow, true)));
        var faults = await Eventually.Until(
            () => BrokerMessages.TakeWithReasonsAsync(_vhost, $"{IntegrationQueues.SchedulerCommands}_error"),
            list => list.Count >= 1, TimeSpan.FromSeconds(30), "the refused command in the error queue");
        var (message, reason) = Assert.Single(faults);
        Assert.Equal("broken", message.GetProperty("schedule").GetProperty("name").GetString());
        Assert.Contains("cron: 'every minute'", reason);
        Assert.Contains("timeZone: 'Mars/Olympus'", reason);
        Assert.Contains("misfire:", reason);
    }

    [Fact]
    public async Task Fires_whose_database_connections_were_terminated_are_retried_so_every_fire_time_gets_one_run()
    {
        // A PostgreSQL restart leaves the pooled connections dead: their next use fails with 57P01 ("terminating connection due
        // to administrator command"). Before the fire retried, the fire that met it started no job.
        const string name = "every-2-seconds";
        await StartSchedulerAsync(new Dictionary<string, string> { ["Scheduler__MisfireThreshold"] = "00:01:00" },
            (name, "0/2 * * * * ?", ScheduleMisfire.FireOnceNow, ScheduleOverlap.Allow));
        await WaitForStartedAsync(name, 1);

        var terminated = 0;
        for (var round = 0; round < 3; round++)
        {
            // Just before an even second, so the next fire takes a connection that was alive a moment ago.
            var now = DateTime.UtcNow;
            var nextSlot = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, DateTimeKind.Utc).AddSeconds(now.Second % 2 == 0 ? 2 : 1);
            var wait = nextSlot.AddMilliseconds(-300) - DateTime.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            terminated += await TerminateConnectionsAsync(_database);
            await Task.Delay(TimeSpan.FromSeconds(4));
        }

        Assert.True(terminated > 0, "no connection of the Scheduler was terminated");
        var before = (await StartedAsync(name)).Count;
        var started = await WaitForStartedAsync(name, before + 2);
        AssertEveryFireTimeOnce(name, started, TimeSpan.FromSeconds(2));
        var metrics = await MetricsAsync(_schedulers[0]);
        Assert.DoesNotContain(metrics.Split('\n'), l => l.StartsWith("scheduler_fire_failures_total{", StringComparison.Ordinal) && !l.EndsWith(" 0"));
    }

    [Fact]
    public async Task After_a_pause_catch_up_runs_every_missed_fire_time_once_in_order_and_at_most_max_catch_up()
    {
        await StartSchedulerAsync(new Dictionary<string, string> { ["Schedules__1__MaxCatchUp"] = "1" },
            ("every-fire", "0/2 * * * * ?", ScheduleMisfire.CatchUp, ScheduleOverlap.Allow),
            ("latest-only", "1/2 * * * * ?", ScheduleMisfire.CatchUp, ScheduleOverlap.Allow));
        await WaitForStartedAsync("every-fire", 1);
        await WaitForStartedAsync("latest-only", 1);

        var before = await MetricsAsync(_schedulers[0]);
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new PauseSchedule("every-fire"));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new PauseSchedule("latest-only"));
        var pausedAt = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(9));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new ResumeSchedule("every-fire"));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new ResumeSchedule("latest-only"));
        var resumedAt = DateTimeOffset.UtcNow;

        // Every fire time from the first on has exactly one run, the ones missed in the pause included, sent oldest first.
        var started = await Eventually.Until(() => StartedAsync("every-fire"),
            list => list.Count > 0 && ScheduledAt(list[^1]) > resumedAt.AddSeconds(2), TimeSpan.FromSeconds(60), "fires after the resume");
        AssertEveryFireTimeOnce("every-fire", started, TimeSpan.FromSeconds(2));
        var times = started.Select(ScheduledAt).ToList();
        Assert.Equal(times.Order(), times);
        Assert.True(times.Count(t => t > pausedAt.AddSeconds(1) && t < resumedAt.AddSeconds(-1)) >= 3, "the paused fire times were not caught up");
        var metrics = await MetricsAsync(_schedulers[0]);
        Assert.True(Counter(metrics, "scheduler_caught_up_total", "every-fire") - Counter(before, "scheduler_caught_up_total", "every-fire") >= 3);

        // At most one missed fire time is run (the latest one); the older ones get no run and are counted as misfires.
        var latestOnly = await Eventually.Until(() => StartedAsync("latest-only"),
            list => list.Count > 0 && ScheduledAt(list[^1]) > resumedAt.AddSeconds(2), TimeSpan.FromSeconds(60), "fires after the resume");
        AssertNoFireTwice(latestOnly);
        var latestTimes = latestOnly.Select(ScheduledAt).Order().ToList();
        var without = 0;
        for (var at = latestTimes[0]; at <= latestTimes[^1]; at += TimeSpan.FromSeconds(2))
            if (!latestTimes.Contains(at)) without++;
        metrics = await MetricsAsync(_schedulers[0]);
        Assert.True(without >= 2, $"only {without} fire time(s) of the pause went without a run");
        Assert.Equal(1, Counter(metrics, "scheduler_caught_up_total", "latest-only") - Counter(before, "scheduler_caught_up_total", "latest-only"));
        Assert.True(Counter(metrics, "scheduler_misfires_total", "latest-only") >= without);
    }

    [Fact]
    public async Task Each_scheduled_fire_resolves_the_interval_placeholders_to_its_own_cron_slot_and_a_fire_by_hand_to_the_last_slot()
    {
        await StartSchedulerAsync(new Dictionary<string, string>
            {
                ["Schedules__0__Settings__note"] = "{interval_start}/{interval_end}",
                ["Schedules__0__Settings__day"] = "{interval_end:yyyy-MM-dd}",
            },
            ("intervals", "* * * * * ?", ScheduleMisfire.Skip, ScheduleOverlap.Allow));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        var started = await WaitForStartedAsync("intervals", 3);
        foreach (var message in started)
        {
            var end = TimeZoneInfo.ConvertTime(ScheduledAt(message), berlin);
            var start = end.AddSeconds(-1);
            var settings = message.GetProperty("settings");
            Assert.Equal($"{Iso(start)}/{Iso(end)}", settings.GetProperty("note").GetString());
            Assert.Equal(end.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), settings.GetProperty("day").GetString());
            Assert.Equal(1, settings.GetProperty("children").GetInt32());
            Assert.Equal(start, message.GetProperty("intervalStart").GetDateTimeOffset());
            Assert.Equal(end, message.GetProperty("intervalEnd").GetDateTimeOffset());
            Assert.EndsWith(end.Offset == TimeSpan.FromHours(2) ? "+02:00" : "+01:00", message.GetProperty("intervalEnd").GetString());
        }

        // A fire by hand of an hourly schedule covers the last hour that has ended.
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new UpsertSchedule(new ScheduleSpec("hourly", "0 0 * * * ?",
            "Europe/Berlin", "synthetic", JsonSerializer.SerializeToElement(new { note = "{interval_start:HH:mm}-{interval_end:HH:mm}" }),
            ScheduleMisfire.Skip, ScheduleOverlap.Allow, Enabled: false)));
        var before = DateTimeOffset.UtcNow;
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new TriggerSchedule("hourly"));
        var triggered = Assert.Single(await WaitForStartedAsync("hourly", 1));
        var hourEnd = TimeZoneInfo.ConvertTime(new DateTimeOffset(before.Year, before.Month, before.Day, before.Hour, 0, 0, TimeSpan.Zero), berlin);
        if (DateTimeOffset.UtcNow.Hour != before.Hour) return; // the hour turned during the test: the slot is not known for sure
        Assert.Equal($"{hourEnd.AddHours(-1):HH:mm}-{hourEnd:HH:mm}", triggered.GetProperty("settings").GetProperty("note").GetString());
        Assert.Equal(hourEnd.AddHours(-1), triggered.GetProperty("intervalStart").GetDateTimeOffset());
    }

    private static string Iso(DateTimeOffset value) => value.ToString(Jobs.Platforms.IntervalPlaceholders.DefaultFormat, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A paused hourly schedule in Europe/Berlin whose settings carry the interval (only backfills start its jobs here).</summary>
    private async Task CreateBackfillScheduleAsync(string name) =>
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new UpsertSchedule(new ScheduleSpec(name, "0 0 * * * ?", "Europe/Berlin",
            "synthetic", JsonSerializer.SerializeToElement(new { children = 1, note = "{interval_start}/{interval_end}" }), ScheduleMisfire.Skip,
            ScheduleOverlap.Skip, Enabled: false)));

    private static readonly DateTimeOffset BackfillDay = new(2026, 3, 10, 0, 0, 0, TimeSpan.FromHours(1));

    [Fact]
    public async Task A_backfill_of_24_hourly_intervals_starts_one_job_per_interval_with_its_interval_and_repeating_it_starts_none()
    {
        await StartSchedulerAsync(("placeholder", "0 0 0 1 1 ? 2099", ScheduleMisfire.Skip, ScheduleOverlap.Allow));
        await CreateBackfillScheduleAsync("hourly-backfill");
        var first = Guid.NewGuid();

        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new StartBackfill(first, "hourly-backfill", BackfillDay,
            BackfillDay.AddDays(1), 100));

        var started = await WaitForStartedAsync("hourly-backfill", 24);
        AssertNoFireTwice(started);
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var expected = Enumerable.Range(0, 24).Select(h => TimeZoneInfo.ConvertTime(BackfillDay.AddHours(h), berlin)).ToList();
        Assert.Equal(expected, started.Select(m => m.GetProperty("intervalStart").GetDateTimeOffset()).Order());
        foreach (var message in started)
        {
            var (start, end) = (message.GetProperty("intervalStart").GetDateTimeOffset(), message.GetProperty("intervalEnd").GetDateTimeOffset());
            Assert.Equal(TimeSpan.FromHours(1), end - start);
            Assert.Equal(JobIds.ForSchedule("hourly-backfill", end), message.GetProperty("rootJobId").GetGuid());
            Assert.Equal(end, ScheduledAt(message));
            Assert.Equal($"{Iso(start)}/{Iso(end)}", message.GetProperty("settings").GetProperty("note").GetString());
        }

        // Again, and once more over half of it: every interval had its run, nothing starts.
        var again = Guid.NewGuid();
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new StartBackfill(again, "hourly-backfill", BackfillDay,
            BackfillDay.AddDays(1), 100));
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new StartBackfill(Guid.NewGuid(), "hourly-backfill",
            BackfillDay.AddHours(12), BackfillDay.AddDays(1).AddHours(1), 100));
        await Eventually.Until(() => BackfillRunStatesAsync(again), states => states.Count == 24 && states.All(s => s == "existing"),
            TimeSpan.FromSeconds(30), "the repeated backfill's intervals recognised as run");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var all = await StartedAsync("hourly-backfill");
        Assert.Equal(25, all.Count); // the third backfill's one new interval, 00:00-01:00 of the next day
        AssertNoFireTwice(all);
    }

    [Fact]
    public async Task A_backfill_runs_at_most_max_concurrent_jobs_goes_on_as_they_end_also_after_a_restart_and_once_cancelled_starts_no_more()
    {
        await BrokerMessages.BindQueueAsync<CancelRootJob>(_vhost, "test-cancellations");
        var scheduler = await StartSchedulerAsync(new Dictionary<string, string> { ["Scheduler__BackfillSweepInterval"] = "00:00:01" },
            ("placeholder", "0 0 0 1 1 ? 2099", ScheduleMisfire.Skip, ScheduleOverlap.Allow));
        await CreateBackfillScheduleAsync("limited");
        var backfill = Guid.NewGuid();
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new StartBackfill(backfill, "limited", BackfillDay,
            BackfillDay.AddHours(8), 2));

        async Task<IReadOnlyList<Guid>> StartsAfterASecondAsync(int count)
        {
            var list = await WaitForStartedAsync("limited", count);
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // two sweeps: nothing more may start
            var now = await StartedAsync("limited");
            Assert.Equal(count, now.Count);
            return now.Select(m => m.GetProperty("rootJobId").GetGuid()).ToList();
        }

        async Task EndAsync(Guid id) => await BrokerMessages.PublishAsync(_vhost, "Jobs.Contracts:RootJobCompleted",
            new RootJobCompleted(id, "synthetic", "limited", 1, 1, 0, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));

        var ids = await StartsAfterASecondAsync(2);
        await EndAsync(ids[0]);
        ids = await StartsAfterASecondAsync(3);

        // Two ends while no Scheduler runs: after the restart the backfill goes on from its state in PostgreSQL.
        await scheduler.StopAsync();
        await EndAsync(ids[1]);
        await EndAsync(ids[2]);
        await scheduler.StartAsync();
        ids = await StartsAfterASecondAsync(5);

        // Cancelled: the two running jobs are cancelled, and their ends start nothing.
        await BrokerMessages.PublishAsync(_vhost, IntegrationQueues.SchedulerCommands, new CancelBackfill("limited", backfill));
        var cancellations = await Eventually.Until(() => BrokerMessages.TakeAsync(_vhost, "test-cancellations"), l => l.Count >= 2,
            TimeSpan.FromSeconds(30), "the running jobs cancelled");
        Assert.Equal(ids.Skip(3).Order(), cancellations.Select(c => c.GetProperty("rootJobId").GetGuid()).Order());
        await EndAsync(ids[3]);
        await EndAsync(ids[4]);
        await StartsAfterASecondAsync(5);
        var states = await BackfillRunStatesAsync(backfill);
        Assert.Equal(["started", "started", "started", "started", "started", "not_started", "not_started", "not_started"], states);
    }

    /// <summary>The state of each run of a backfill, oldest interval first, as the Scheduler keeps it.</summary>
    private async Task<IReadOnlyList<string>> BackfillRunStatesAsync(Guid backfill)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT state FROM schedule_backfill_runs WHERE backfill_id = $1 ORDER BY position", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = backfill });
        var states = new List<string>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) states.Add(reader.GetString(0));
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == "42P01")
        {
            // not created yet
        }

        return states;
    }

    private static double Counter(string metrics, string name, string schedule) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"schedule=\"{schedule}\""))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static DateTimeOffset ScheduledAt(JsonElement started) => started.GetProperty("scheduledAt").GetDateTimeOffset();

    /// <summary>
    /// Each start names its fire time, its root id is the one derived from it, and the fire times from the first to the last
    /// seen follow each other <paramref name="interval"/> apart, each once.
    /// </summary>
    private static void AssertEveryFireTimeOnce(string schedule, IReadOnlyList<JsonElement> started, TimeSpan interval)
    {
        AssertNoFireTwice(started);
        foreach (var message in started)
            Assert.Equal(JobIds.ForSchedule(schedule, ScheduledAt(message)), message.GetProperty("rootJobId").GetGuid());
        var times = started.Select(ScheduledAt).Order().ToList();
        var missing = new List<DateTimeOffset>();
        for (var at = times[0]; at <= times[^1]; at += interval)
            if (!times.Contains(at)) missing.Add(at);
        Assert.True(missing.Count == 0, $"fire times without a run: {string.Join(", ", missing.Select(t => t.ToString("O")))}");
        Assert.Equal(times.Distinct().Count(), times.Count);
    }

    /// <summary>Terminates every session of <paramref name="connectionString"/>'s database (what a server restart does to them).</summary>
    private static async Task<int> TerminateConnectionsAsync(string connectionString)
    {
        var database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", connection);
        command.Parameters.Add(new() { Value = database });
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    private static async Task<string> MetricsAsync(ServiceProcess scheduler)
    {
        using var http = new HttpClient { BaseAddress = scheduler.BaseAddress };
        return await http.GetStringAsync("metrics");
    }

    private static async Task<double> SkippedAsync(ServiceProcess scheduler)
    {
        using var http = new HttpClient { BaseAddress = scheduler.BaseAddress };
        var metrics = await http.GetStringAsync("metrics");
        return metrics.Split('\n')
            .Where(l => l.StartsWith("scheduler_skipped_overlap_total{", StringComparison.Ordinal) && l.Contains("no-overlap"))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
