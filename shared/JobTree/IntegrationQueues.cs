namespace Jobs.JobTree;

/// <summary>Well-known addresses on the bus.</summary>
public static class IntegrationQueues
{
    /// <summary>Exchange and queue where any service starts a root job (MassTransit envelope or plain JSON).</summary>
    public const string StartJobs = "jobs.start";

    public static Uri StartJobsAddress => Address(StartJobs);

    /// <summary>The Integrator's RootJob saga: where a validated root job is begun (<c>BeginRootJob</c>).</summary>
    public const string RootJobs = "root-job-state";

    public static Uri RootJobsAddress => Address(RootJobs);

    /// <summary>Queue of the schedule management commands (any Scheduler instance may take them).</summary>
    public const string SchedulerCommands = "scheduler-commands";

    public static Uri SchedulerCommandsAddress => Address(SchedulerCommands);

    /// <summary>Queue of the Integrator's repairs of stalled roots (<c>EndStalledRootJob</c>, sent by the Auditor's sweeper).</summary>
    public const string EndStalledRootJobs = "integrator-end-stalled-root-job";

    public static Uri EndStalledRootJobsAddress => Address(EndStalledRootJobs);

    /// <summary>The queues above: each exists before anyone sends to it when <see cref="SendThroughExchanges"/> is on.</summary>
    public static IReadOnlyList<string> WellKnown { get; } = [StartJobs, RootJobs, SchedulerCommands, EndStalledRootJobs];

    /// <summary>
    /// The queue of one integration; only that integration consumes it. Its bulk work: the batches of a run that spawned more than
    /// a few children, and everything those batches spawn in turn.
    /// </summary>
    public static string QueueName(string platform) => $"integration-{platform}";

    /// <summary>What follows an integration's name in its <see cref="InteractiveQueueName"/> (a dot: an integration's name has none, the Integrations host refuses one).</summary>
    public const string InteractiveSuffix = ".interactive";

    /// <summary>
    /// The integration's queue for the work a root waits on step by step: its entry run and hooks, continuations, and the small
    /// spawns of runs taken from this queue. Consumed beside <see cref="QueueName"/> with slots of its own, so a small job never
    /// waits behind a big one's batches (fairness between roots on one platform).
    /// </summary>
    public static string InteractiveQueueName(string platform) => QueueName(platform) + InteractiveSuffix;

    /// <summary>Both queues of an integration, the bulk one first.</summary>
    public static IReadOnlyList<string> QueueNames(string platform) => [QueueName(platform), InteractiveQueueName(platform)];

    /// <summary>Whether <paramref name="address"/> (an endpoint's input address) is an integration's interactive queue.</summary>
    public static bool IsInteractive(Uri? address) => address?.AbsolutePath.TrimEnd('/').EndsWith(InteractiveSuffix, StringComparison.Ordinal) == true;

    public static Uri For(string platform) => Address(QueueName(platform));

    /// <summary>The interactive queue of <paramref name="platform"/> when <paramref name="interactive"/>, else its bulk one.</summary>
    public static Uri For(string platform, bool interactive) => Address(interactive ? InteractiveQueueName(platform) : QueueName(platform));

    /// <summary>
    /// Off (classic queues, the default): a send goes to <c>queue:name</c>, which declares the queue on the first send, so a message
    /// waits even for a consumer that has never started. On (quorum queues, set once at start by the bus set-up): a send goes to the
    /// queue's own exchange (<c>exchange:name</c>, bound to the queue by its endpoint), because RabbitMQ refuses the classic
    /// re-declaration a <c>queue:</c> send makes of an existing quorum queue; the bus set-up then declares the
    /// <see cref="WellKnown"/> queues before anything is sent, and an integration's queue exists before its platform is in the catalog
    /// (its process registers the platform once its endpoint is up), so no message finds no queue.
    /// </summary>
    public static bool SendThroughExchanges { get; set; }

    private static Uri Address(string queue) => new(SendThroughExchanges ? $"exchange:{queue}" : $"queue:{queue}");
}
