using Prometheus;

namespace Jobs.Integrations.Hosting;

/// <summary>Runs the host gave up on (abandoned after ignoring cancellation, batches failed as poison), and the task hooks it ran.</summary>
public static class RunMetrics
{
    public static readonly Counter Abandoned = Metrics.CreateCounter("integrations_runs_abandoned_total",
        "Runs abandoned because they did not return after their cancellation (deadline, cancelled root, stopping host)", "platform");

    public static readonly Gauge AbandonedRunning = Metrics.CreateGauge("integrations_runs_abandoned_running",
        "Abandoned runs that have not returned yet (each holds a thread or a task until it does)", "platform");

    public static readonly Counter PoisonBatches = Metrics.CreateCounter("integrations_poison_batches_total",
        "Batches failed without running because they had started Integrations:MaxBatchStarts times without finishing", "platform");

    public static readonly Counter TaskHooks = Metrics.CreateCounter("integrations_task_hooks_total",
        "Task hook runs around child runs, by phase, hook and outcome (succeeded, failed, skipped)", "platform", "phase", "hook", "status");
}
