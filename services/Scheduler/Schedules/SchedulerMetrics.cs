using Prometheus;

namespace Jobs.Scheduler.Schedules;

public static class SchedulerMetrics
{
    public static readonly Counter Fires = Metrics.CreateCounter("scheduler_fires_total", "Root jobs started by a schedule", "schedule");

    public static readonly Counter Misfires = Metrics.CreateCounter("scheduler_misfires_total",
        "Fire times a schedule missed (handled by its misfire policy)", "schedule");

    public static readonly Counter SkippedOverlap = Metrics.CreateCounter("scheduler_skipped_overlap_total",
        "Fires skipped because the previous run of the schedule was still going", "schedule");

    public static readonly Counter FireFailures = Metrics.CreateCounter("scheduler_fire_failures_total",
        "Fire times whose root job could not be started within the retry limit (recorded as failed fires)", "schedule");

    public static readonly Counter CaughtUp = Metrics.CreateCounter("scheduler_caught_up_total",
        "Missed fire times a catch_up schedule ran late, each as its own root job", "schedule");
}
