namespace Jobs.JobTree;

/// <summary>Well-known addresses on the bus.</summary>
public static class IntegrationQueues
{
    /// <summary>Exchange and queue where any service starts a root job (MassTransit envelope or plain JSON).</summary>
    public const string StartJobs = "jobs.start";

    public static Uri StartJobsAddress { get; } = new($"queue:{StartJobs}");

    /// <summary>The Integrator's RootJob saga: where a validated root job is begun (<c>BeginRootJob</c>).</summary>
    public const string RootJobs = "root-job-state";

    public static Uri RootJobsAddress { get; } = new($"queue:{RootJobs}");

    /// <summary>Queue of the schedule management commands (any Scheduler instance may take them).</summary>
    public const string SchedulerCommands = "scheduler-commands";

    public static Uri SchedulerCommandsAddress { get; } = new($"queue:{SchedulerCommands}");

    /// <summary>Queue of the Integrator's repairs of stalled roots (<c>EndStalledRootJob</c>, sent by the Auditor's sweeper).</summary>
    public const string EndStalledRootJobs = "integrator-end-stalled-root-job";

    public static Uri EndStalledRootJobsAddress { get; } = new($"queue:{EndStalledRootJobs}");

    /// <summary>The queue of one integration; only that integration consumes it.</summary>
    public static string QueueName(string platform) => $"integration-{platform}";

    public static Uri For(string platform) => new($"queue:{QueueName(platform)}");
}
