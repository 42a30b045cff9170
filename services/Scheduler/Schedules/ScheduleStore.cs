using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Quartz;

namespace Jobs.Scheduler.Schedules;

public class InvalidScheduleException(string message) : Exception(message);

/// <summary>One problem of a schedule's definition: the field (a <see cref="ScheduleSpec"/> property) and what is wrong with it.</summary>
public readonly record struct ScheduleProblem(string Field, string Reason);

public sealed class ScheduleNotFoundException(string name) : InvalidScheduleException($"there is no schedule named '{name}'");

/// <summary>
/// Schedules as Quartz jobs and cron triggers in the persistent, clustered store: a schedule's definition
/// is the job's data (platform, settings, overlap policy) and the trigger (cron, time zone, misfire policy).
/// </summary>
public sealed class ScheduleStore(ISchedulerFactory factory, ScheduleRuns runs, FailedFires failedFires, ILogger<ScheduleStore> logger)
{
    public const string Group = "schedules";
    public const string PlatformKey = "platform";
    public const string SettingsKey = "settings";
    public const string OverlapKey = "overlap";
    public const string MisfireKey = "misfire";
    public const string MaxCatchUpKey = "maxCatchUp";

    /// <summary>How many of its latest failed fires each schedule lists.</summary>
    public const int ListedFailedFires = 5;

    public static JobKey JobKeyOf(string name) => new(name, Group);

    public static TriggerKey TriggerKeyOf(string name) => new(name, Group);

    /// <summary>Creates or replaces a schedule. A replaced trigger starts over from now.</summary>
    public async Task UpsertAsync(ScheduleSpec spec, CancellationToken cancellationToken)
    {
        var (job, trigger) = Build(spec);
        var scheduler = await factory.GetScheduler(cancellationToken);
        await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true, Paused = !spec.Enabled }, cancellationToken);
        logger.LogInformation("Schedule {Schedule} saved: {Cron} in {TimeZone}, platform {Platform}, misfire {Misfire}, overlap {Overlap}{Paused}",
            spec.Name, spec.Cron, spec.TimeZone, spec.Platform, spec.Misfire, spec.Overlap, spec.Enabled ? "" : ", paused");
    }

    /// <summary>
    /// Saves a schedule declared in configuration unless the store already holds the same definition, so a
    /// restart keeps the trigger's next fire time and misfire state (and a pause made at runtime).
    /// </summary>
    public async Task SyncAsync(ScheduleSpec spec, CancellationToken cancellationToken)
    {
        var (job, trigger) = Build(spec);
        var scheduler = await factory.GetScheduler(cancellationToken);
        var existingJob = await scheduler.GetJobDetail(job.Key, cancellationToken);
        var wanted = (ICronTrigger)trigger;
        if (await scheduler.GetTrigger(trigger.Key, cancellationToken) is ICronTrigger existing && existingJob is not null &&
            existing.CronExpressionString == wanted.CronExpressionString && existing.TimeZone.Id == wanted.TimeZone.Id &&
            existing.MisfireInstruction == wanted.MisfireInstruction && existingJob.RequestsRecovery == job.RequestsRecovery &&
            SameData(existingJob.JobDataMap, job.JobDataMap))
        {
            logger.LogInformation("Schedule {Schedule} is up to date; next fire {NextFire:O}", spec.Name, existing.NextFireTimeUtc);
            return;
        }

        await UpsertAsync(spec, cancellationToken);
    }

    public async Task PauseAsync(string name, CancellationToken cancellationToken)
    {
        var scheduler = await ExistingAsync(name, cancellationToken);
        await scheduler.PauseTrigger(TriggerKeyOf(name), cancellationToken);
    }

    public async Task ResumeAsync(string name, CancellationToken cancellationToken)
    {
        var scheduler = await ExistingAsync(name, cancellationToken);
        await scheduler.ResumeTrigger(TriggerKeyOf(name), cancellationToken);
    }

    public async Task TriggerAsync(string name, CancellationToken cancellationToken)
    {
        var scheduler = await ExistingAsync(name, cancellationToken);
        await scheduler.TriggerJob(JobKeyOf(name), new JobDataMap(), cancellationToken);
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var scheduler = await ExistingAsync(name, cancellationToken);
        await scheduler.DeleteJob(JobKeyOf(name), cancellationToken);
    }

    private async Task<IScheduler> ExistingAsync(string name, CancellationToken cancellationToken)
    {
        var scheduler = await factory.GetScheduler(cancellationToken);
        if (!await scheduler.Exists(JobKeyOf(name), cancellationToken))
            throw new ScheduleNotFoundException(name);
        return scheduler;
    }

    /// <summary>Every stored schedule with its state and fire times, by name.</summary>
    public async Task<IReadOnlyList<ScheduleState>> ListAsync(CancellationToken cancellationToken)
    {
        var scheduler = await factory.GetScheduler(cancellationToken);
        var failed = await runs.FailedFiresAsync(ListedFailedFires, cancellationToken);
        var unrecorded = failedFires.Unrecorded;
        var result = new List<ScheduleState>();
        foreach (var key in (await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), cancellationToken)).OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            if (await StoredAsync(scheduler, key.Name, cancellationToken) is not { } stored) continue;
            var (spec, trigger, state) = stored;
            var failures = unrecorded[key.Name].Concat(failed[key.Name]).OrderByDescending(f => f.ScheduledAt).Take(ListedFailedFires).ToList();
            result.Add(new ScheduleState(spec, state.ToString(), trigger.NextFireTimeUtc, trigger.PreviousFireTimeUtc, failures));
        }

        return result;
    }

    /// <summary>The stored definition of the schedule <paramref name="name"/>, or null when there is none.</summary>
    public async Task<ScheduleSpec?> FindAsync(string name, CancellationToken cancellationToken) =>
        (await StoredAsync(await factory.GetScheduler(cancellationToken), name, cancellationToken))?.Spec;

    private static async Task<(ScheduleSpec Spec, ICronTrigger Trigger, TriggerState State)?> StoredAsync(IScheduler scheduler, string name,
        CancellationToken cancellationToken)
    {
        var job = await scheduler.GetJobDetail(JobKeyOf(name), cancellationToken);
        if (job is null || await scheduler.GetTrigger(TriggerKeyOf(name), cancellationToken) is not ICronTrigger trigger) return null;
        var state = await scheduler.GetTriggerState(trigger.Key, cancellationToken);
        using var settings = JsonDocument.Parse(job.JobDataMap.GetString(SettingsKey) ?? "{}");
        var misfire = job.JobDataMap.GetString(MisfireKey) ??
                      (trigger.MisfireInstruction == CronTriggerMisfireInstruction.DoNothing ? ScheduleMisfire.Skip : ScheduleMisfire.FireOnceNow);
        var spec = new ScheduleSpec(name, trigger.CronExpressionString ?? "", trigger.TimeZone.Id, job.JobDataMap.GetString(PlatformKey) ?? "",
            settings.RootElement.Clone(), misfire, job.JobDataMap.GetString(OverlapKey) ?? ScheduleOverlap.Allow, state != TriggerState.Paused,
            misfire == ScheduleMisfire.CatchUp && int.TryParse(job.JobDataMap.GetString(MaxCatchUpKey), out var maxCatchUp) ? maxCatchUp : null);
        return (spec, trigger, state);
    }

    /// <summary>
    /// What is wrong with a schedule's definition, every problem at once, each with the field it is about (named as the
    /// definition's property: <c>Cron</c>, <c>TimeZone</c>, ...). The one rule set for schedules sent by command and declared
    /// in configuration.
    /// </summary>
    public static IEnumerable<ScheduleProblem> Problems(ScheduleSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Name)) yield return new(nameof(spec.Name), "is required");
        if (string.IsNullOrWhiteSpace(spec.Platform)) yield return new(nameof(spec.Platform), "is required");
        if (!CronExpression.TryParse(spec.Cron, out _)) yield return new(nameof(spec.Cron), $"'{spec.Cron}' is not a Quartz cron expression (seconds first)");
        if (ZoneOf(spec) is null) yield return new(nameof(spec.TimeZone), $"'{spec.TimeZone}' is not a known IANA time zone");
        if (spec.Misfire is not (ScheduleMisfire.FireOnceNow or ScheduleMisfire.Skip or ScheduleMisfire.CatchUp))
            yield return new(nameof(spec.Misfire), $"must be {ScheduleMisfire.FireOnceNow}, {ScheduleMisfire.Skip} or {ScheduleMisfire.CatchUp}");
        if (spec.MaxCatchUp is < 0 or > 1000) yield return new(nameof(spec.MaxCatchUp), "must be between 0 and 1000");
        if (spec.Overlap is not (ScheduleOverlap.Skip or ScheduleOverlap.Allow))
            yield return new(nameof(spec.Overlap), $"must be {ScheduleOverlap.Skip} or {ScheduleOverlap.Allow}");
        if (spec.Settings.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
            yield return new(nameof(spec.Settings), "must be a JSON object");
        else if (spec.Settings.ValueKind == JsonValueKind.Object)
            foreach (var (path, problems) in IntervalPlaceholders.Problems(spec.Settings))
                yield return new(nameof(spec.Settings), $"{path}: {string.Join(", ", problems)}");
    }

    private static TimeZoneInfo? ZoneOf(ScheduleSpec spec) => ZoneOf(spec.TimeZone);

    /// <summary>The IANA time zone <paramref name="id"/>, or null when it is not known.</summary>
    public static TimeZoneInfo? ZoneOf(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    /// <summary>The Quartz job and trigger of a schedule; every problem of the definition is reported at once.</summary>
    public static (IJobDetail Job, ITrigger Trigger) Build(ScheduleSpec spec)
    {
        var problems = Problems(spec).Select(p => $"{char.ToLowerInvariant(p.Field[0])}{p.Field[1..]}: {p.Reason}").ToList();
        if (problems.Count > 0) throw new InvalidScheduleException($"schedule '{spec.Name}': {string.Join("; ", problems)}");
        var zone = ZoneOf(spec)!;

        var job = JobBuilder.Create<StartScheduledJob>()
            .WithIdentity(JobKeyOf(spec.Name))
            .StoreDurably()
            .UsingJobData(PlatformKey, spec.Platform)
            .UsingJobData(SettingsKey, spec.Settings.ValueKind == JsonValueKind.Undefined ? "{}" : spec.Settings.GetRawText())
            .UsingJobData(OverlapKey, spec.Overlap)
            .UsingJobData(MisfireKey, spec.Misfire)
            .UsingJobData(MaxCatchUpKey, (spec.MaxCatchUp ?? ScheduleSpec.DefaultMaxCatchUp).ToString(System.Globalization.CultureInfo.InvariantCulture))
            // A Scheduler that dies in the middle of a fire: another one (or it, restarted) runs the fire again, for the same time.
            .RequestRecovery()
            .Build();
        // catch_up: a misfire fires once now, and that fire starts a run for every fire time it missed.
        var misfire = spec.Misfire == ScheduleMisfire.Skip ? CronTriggerMisfireInstruction.DoNothing : CronTriggerMisfireInstruction.FireAndProceed;
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyOf(spec.Name))
            .ForJob(job.Key)
            .WithCronSchedule(spec.Cron, cron => cron.InTimeZone(zone).WithMisfireInstruction(misfire))
            .Build();
        return (job, trigger);
    }

    private static bool SameData(JobDataMap a, JobDataMap b) =>
        new[] { PlatformKey, SettingsKey, OverlapKey, MisfireKey, MaxCatchUpKey }.All(key => a.GetString(key) == b.GetString(key));
}
