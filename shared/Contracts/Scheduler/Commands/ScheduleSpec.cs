using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>
/// A schedule: start a root job of <see cref="Platform"/> with <see cref="Settings"/> whenever the Quartz
/// cron expression <see cref="Cron"/> (seconds first) fires in the IANA time zone <see cref="TimeZone"/>.
/// </summary>
/// <param name="Misfire">
/// What to do about fire times missed by more than the Scheduler's misfire threshold: while no Scheduler ran, while its store
/// (PostgreSQL) was unreachable or while the schedule was paused: <see cref="ScheduleMisfire"/>.
/// </param>
/// <param name="Overlap">Whether to start a run while the previous run of this schedule is still going: <see cref="ScheduleOverlap"/>.</param>
/// <param name="MaxCatchUp">Under <see cref="ScheduleMisfire.CatchUp"/>: at most this many missed fire times are run (the latest ones); default 10.</param>
public record ScheduleSpec(
    string Name,
    string Cron,
    string TimeZone,
    string Platform,
    JsonElement Settings,
    string Misfire,
    string Overlap,
    bool Enabled,
    int? MaxCatchUp = null)
{
    public const int DefaultMaxCatchUp = 10;
}

public static class ScheduleMisfire
{
    /// <summary>Fire once as soon as possible, then go on with the schedule (Airflow's catch-up of one run).</summary>
    public const string FireOnceNow = "fire_once_now";

    /// <summary>Skip what was missed and wait for the next fire time.</summary>
    public const string Skip = "skip";

    /// <summary>
    /// Run every missed fire time once, oldest first (at most <see cref="ScheduleSpec.MaxCatchUp"/>, the latest ones), each as
    /// its own root job with its own scheduled time: for schedules whose runs each cover one interval.
    /// </summary>
    public const string CatchUp = "catch_up";
}

public static class ScheduleOverlap
{
    /// <summary>Do not start while the previous root job of this schedule is still running (Airflow's max_active_runs = 1).</summary>
    public const string Skip = "skip";

    public const string Allow = "allow";
}
