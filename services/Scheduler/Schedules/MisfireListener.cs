using Quartz;

namespace Jobs.Scheduler.Schedules;

/// <summary>Counts and logs misfires; what happens next is the trigger's misfire policy.</summary>
public sealed class MisfireListener(ILogger<MisfireListener> logger) : ITriggerListener
{
    public string Name => "misfires";

    public ValueTask TriggerMisfired(ITrigger trigger, IScheduler scheduler, CancellationToken cancellationToken = default)
    {
        SchedulerMetrics.Misfires.WithLabels(trigger.Key.Name).Inc();
        logger.LogWarning("Schedule {Schedule} misfired (next fire {NextFire:O})", trigger.Key.Name, trigger.NextFireTimeUtc);
        return ValueTask.CompletedTask;
    }
}
