using Jobs.JobTree;
using System.Diagnostics;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// A schedule's Quartz job: starts the root job of the fire through <c>jobs.start</c> (under <c>catch_up</c> also one for each
/// missed fire time, oldest first), unless the overlap policy says the previous run is still going. Each root job id is derived
/// from the schedule and its fire time, so a fire handled twice, or retried, still starts one job per fire time.
/// A transient error (PostgreSQL restarting, the broker unreachable) is retried with back-off up to
/// <see cref="FireOptions.RetryLimit"/>; a fire that still cannot start its job is recorded as failed, never forgotten.
/// </summary>
public sealed class StartScheduledJob(ISendEndpointProvider sender, ScheduleRuns runs, FailedFires failedFires, IOptions<FireOptions> options,
    ILogger<StartScheduledJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.JobDetail.Key.Name;
        var scheduledAt = ScheduledAt(context);
        var rootJobId = JobIds.ForSchedule(name, scheduledAt);
        // Each fire is the root span of the trace of the job(s) it starts.
        using var span = JobTracing.Source.StartActivity("schedule fire", ActivityKind.Internal, parentContext: default);
        span?.SetTag(JobTracing.Schedule, name).SetTag(JobTracing.RootJobId, rootJobId.ToString()).SetTag("jobs.scheduled_at", scheduledAt.ToString("O"))
            .SetTag("jobs.recovering", context.Recovering);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId, ["Schedule"] = name });

        var policy = options.Value.Retry;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(policy.Limit);
        IReadOnlyList<ScheduledRun> fire = [new(rootJobId, scheduledAt)];
        try
        {
            await TransientFaults.RetryAsync(async token =>
            {
                fire = await RunsOfAsync(context, name, scheduledAt, token);
                await StartAsync(context, name, fire, token);
            }, policy, logger, $"Fire of schedule {name} for {scheduledAt:O}", limit.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? $"not started within {policy.Limit}" : ex.Message;
            foreach (var run in fire) failedFires.Record(name, new FailedFire(run.ScheduledAt, run.RootJobId, DateTimeOffset.UtcNow, reason));
            span?.SetStatus(ActivityStatusCode.Error, reason);
        }
        catch (OperationCanceledException)
        {
            foreach (var run in fire)
                failedFires.Record(name, new FailedFire(run.ScheduledAt, run.RootJobId, DateTimeOffset.UtcNow, "the Scheduler stopped before the job started"));
            throw;
        }
    }

    private async Task StartAsync(IJobExecutionContext context, string name, IReadOnlyList<ScheduledRun> fire, CancellationToken cancellationToken)
    {
        if (fire.Count == 0)
        {
            logger.LogInformation("Schedule {Schedule} has a run for every fire time up to now: nothing to catch up", name);
            return;
        }

        var data = context.MergedJobDataMap;
        var skipIfRunning = data.GetString(ScheduleStore.OverlapKey) != ScheduleOverlap.Allow;
        var begun = await runs.TryBeginAsync(name, fire, skipIfRunning, cancellationToken);
        if (begun.Running is { } running)
        {
            SchedulerMetrics.SkippedOverlap.WithLabels(name).Inc();
            logger.LogInformation("Schedule {Schedule} skipped its fire of {ScheduledAt:O}: run {RunningJobId} is still going", name, fire[^1].ScheduledAt, running);
            return;
        }

        if (begun.Runs.Count < fire.Count)
            logger.LogInformation("Schedule {Schedule}: a backfill started {Count} run(s) of this fire already; they are not started again", name,
                fire.Count - begun.Runs.Count);
        if (begun.Runs.Count == 0) return;
        fire = begun.Runs;

        using var settings = JsonDocument.Parse(data.GetString(ScheduleStore.SettingsKey) ?? "{}");
        // The interval of each run comes from the schedule's cron expression (a fire by hand runs under a trigger of its own).
        var cron = await context.Scheduler.GetTrigger(ScheduleStore.TriggerKeyOf(name), cancellationToken) as ICronTrigger;
        var endpoint = await sender.GetSendEndpoint(IntegrationQueues.StartJobsAddress);
        foreach (var run in fire)
        {
            var interval = cron?.CronExpressionString is { } expression
                ? DataIntervals.Of(expression, cron.TimeZone, run.ScheduledAt)
                : new DataInterval(run.ScheduledAt, run.ScheduledAt);
            await endpoint.Send(ScheduledStart(run, name, data.GetString(ScheduleStore.PlatformKey), settings.RootElement, interval), cancellationToken);
        }

        SchedulerMetrics.Fires.WithLabels(name).Inc(fire.Count);
        if (fire.Count > 1)
        {
            SchedulerMetrics.CaughtUp.WithLabels(name).Inc(fire.Count - 1);
            logger.LogInformation("Schedule {Schedule} caught up {Missed} missed fire time(s) from {First:O} and fired for {ScheduledAt:O}",
                name, fire.Count - 1, fire[0].ScheduledAt, fire[^1].ScheduledAt);
        }
        else
        {
            logger.LogInformation("Schedule {Schedule} fired for {ScheduledAt:O}", name, fire[0].ScheduledAt);
        }
    }

    /// <summary>
    /// The start of one run of a schedule, by a fire or a backfill: <c>{interval_start}</c> / <c>{interval_end}</c> in the settings
    /// replaced by the run's <paramref name="interval"/>, which the message also carries.
    /// </summary>
    public static StartRootJob ScheduledStart(ScheduledRun run, string schedule, string? platform, JsonElement settings, DataInterval interval) => new()
    {
        RootJobId = run.RootJobId,
        Platform = platform,
        Settings = IntervalPlaceholders.Resolve(settings, interval),
        Schedule = schedule,
        ScheduledAt = run.ScheduledAt,
        IntervalStart = interval.Start,
        IntervalEnd = interval.End,
    };

    /// <summary>
    /// The runs a fire starts: its own, and under <c>catch_up</c> before it every fire time of the schedule's cron expression since
    /// its latest run (or since the schedule was saved) that has no run yet, at most <c>maxCatchUp</c> of them (the latest).
    /// A fire by hand (<c>TriggerSchedule</c>) starts its own run only.
    /// </summary>
    private async Task<IReadOnlyList<ScheduledRun>> RunsOfAsync(IJobExecutionContext context, string name, DateTimeOffset scheduledAt,
        CancellationToken cancellationToken)
    {
        ScheduledRun Own() => new(JobIds.ForSchedule(name, scheduledAt), scheduledAt);
        if (context.MergedJobDataMap.GetString(ScheduleStore.MisfireKey) != ScheduleMisfire.CatchUp ||
            await context.Scheduler.GetTrigger(ScheduleStore.TriggerKeyOf(name), cancellationToken) is not ICronTrigger trigger ||
            !(context.Trigger.Key.Equals(trigger.Key) || context.Recovering))
            return [Own()];

        var since = await runs.LastRunSlotAsync(name, cancellationToken) is { } last && last > trigger.StartTimeUtc
            ? last
            : trigger.StartTimeUtc.AddTicks(-1);
        var maxCatchUp = int.TryParse(context.MergedJobDataMap.GetString(ScheduleStore.MaxCatchUpKey), out var max) ? max : ScheduleSpec.DefaultMaxCatchUp;
        // A fire of the misfire policy comes at "now", between fire times: it stands for the latest fire time before it, and for
        // nothing when every fire time up to now has its run already.
        var (slots, skipped) = CatchUp.Slots(trigger.CronExpressionString!, trigger.TimeZone, since, scheduledAt, maxCatchUp + 1);
        if (skipped > 0)
        {
            SchedulerMetrics.Misfires.WithLabels(name).Inc(skipped);
            logger.LogWarning("Schedule {Schedule} missed {Skipped} fire time(s) before {First:O} beyond its {MaxCatchUp} to catch up: they get no run",
                name, skipped, slots[0], maxCatchUp);
        }

        return slots.Select(at => new ScheduledRun(JobIds.ForSchedule(name, at), at)).ToList();
    }

    /// <summary>The fire time this execution is for: the original one when Quartz re-runs the fire of a Scheduler that died.</summary>
    private static DateTimeOffset ScheduledAt(IJobExecutionContext context)
    {
        if (context.Recovering && context.MergedJobDataMap.GetString(SchedulerConstants.FailedJobOriginalTriggerScheduledFireTime) is { } original)
        {
            if (long.TryParse(original, out var millis)) return DateTimeOffset.FromUnixTimeMilliseconds(millis);
            if (DateTimeOffset.TryParse(original, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at))
                return at;
        }

        return context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
    }
}

/// <summary>How a fire retries transient errors before it is recorded as failed (section <c>Scheduler:Fire</c>).</summary>
public sealed class FireOptions
{
    /// <summary>How long a fire keeps trying to start its root job; then it is recorded as a failed fire.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryLimit { get; set; } = TimeSpan.FromMinutes(10);

    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(15);

    public TransientRetry Retry => new(RetryLimit, FirstRetryDelay, MaxRetryDelay);
}
