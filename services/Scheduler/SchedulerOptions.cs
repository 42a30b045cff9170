using System.ComponentModel.DataAnnotations;

namespace Jobs.Scheduler;

/// <summary>Section <c>Scheduler</c>: how late a fire may be, and how long an unfinished run blocks its schedule, how often backfills are swept.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>How far past its fire time a trigger may be before its misfire policy applies (Quartz's job store threshold).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00", ErrorMessage = Section + ":" + nameof(MisfireThreshold) + ": must be between {1} and {2}")]
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A run not reported ended after this long no longer blocks its schedule (its end may have been lost).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = Section + ":" + nameof(MaxRunAge) + ": must be between {1} and {2}")]
    public TimeSpan MaxRunAge { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How often each Scheduler goes on with the backfills that have jobs to start (after a restart, a lost start or end).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = Section + ":" + nameof(BackfillSweepInterval) + ": must be between {1} and {2}")]
    public TimeSpan BackfillSweepInterval { get; set; } = TimeSpan.FromSeconds(10);
}
