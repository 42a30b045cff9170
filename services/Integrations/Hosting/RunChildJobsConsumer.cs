using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Consumes one integration's queue: runs a batch of children (in parallel, bounded, with small spawns run inline: see
/// <see cref="ChildJobRunner.RunBatchAsync"/>) and publishes their outcomes as one <see cref="ChildJobsFinished"/>.
/// Children of a root that was cancelled, has ended or is failing (a required task failed, or any child under
/// <c>fail_fast</c>) are not started: they are reported failed with the reason, so the root's counts stay exact. A batch whose
/// deliveries started <see cref="IntegrationsOptions.MaxBatchStarts"/> times without finishing (the process running it died or
/// hung each time) is not run again: its children are reported failed with the reason, their definitions kept for
/// <c>retry-failed</c>, and the message is taken off the queue.
/// </summary>
public sealed class RunChildJobsConsumer(ChildJobRunner runner, IConnectionMultiplexer redis, IOptions<IntegrationsOptions> options,
    ILogger<RunChildJobsConsumer> logger)
    : IConsumer<RunChildJobs>
{
    public const string CancelledBeforeStart = "cancelled before it started";

    public async Task Consume(ConsumeContext<RunChildJobs> context)
    {
        var message = context.Message;
        // One span per delivered batch, whatever its size (a child's own span only under Tracing:ChildSpanRatio).
        using var span = JobTracing.Source.StartActivity("run batch");
        span?.SetTag(JobTracing.RootJobId, message.RootJobId.ToString()).SetTag(JobTracing.Platform, message.Platform)
            .SetTag(JobTracing.Children, message.Children.Count).SetTag(JobTracing.Generation, message.Children.FirstOrDefault()?.Generation ?? 0);
        // The same message id on every redelivery; a batch sent without one is known by its first child.
        var delivery = (context.MessageId ?? message.Children.FirstOrDefault()?.ChildJobId ?? Guid.Empty).ToString("N");
        BatchRun run;
        var (root, starts) = await ChildDefinitions.RecordRunningAsync(redis.GetDatabase(), message, delivery,
            countStart: context.GetRetryAttempt() == 0);
        var maxStarts = Math.Max(1, options.Value.MaxBatchStarts);
        var notStarted = root.Status is JobStatus.Cancelled ? CancelledBeforeStart
            : root.Failure is not null || JobStatus.HasEnded(root.Status) ? FailurePolicy.NotStartedError
            : null;
        if (notStarted is not null)
        {
            run = NotRun(message, notStarted, stoppedByRoot: true);
        }
        else if (starts > maxStarts)
        {
            var reason = $"the batch was started {starts - 1} times without finishing: the process running it stopped or hung " +
                         $"(Integrations:MaxBatchStarts is {maxStarts}); it is not run again";
            logger.LogError("Batch {MessageId} of root {RootJobId} ({Count} children of {Platform}) failed as poison: {Reason}",
                delivery, message.RootJobId, message.Children.Count, message.Platform, reason);
            RunMetrics.PoisonBatches.WithLabels(message.Platform).Inc();
            run = NotRun(message, reason, stoppedByRoot: false);
        }
        else
        {
            run = await runner.RunBatchAsync(message, context.CancellationToken, root.FailurePolicy == FailurePolicy.FailFast, root);
        }

        span?.SetTag("jobs.children_run", run.Outcomes.Count).SetTag(JobTracing.Failed, run.Outcomes.Count(o => !o.Succeeded))
            .SetTag(JobTracing.Spawned, SpawnedBatches.ChildrenIn(run.Spawned));
        if (notStarted is not null) span?.SetTag("jobs.not_started", notStarted);
        // The batch's end is recorded. When a child failed, before its outcome goes out: a retry-failed of the root, once it has ended, finds
        // its definition. Otherwise at the same time as the outcomes (the record only takes the children off the running ones). The message
        // is acknowledged once all have landed; a crash before that runs the batch again: the ledger counts each child once.
        var recorded = ChildDefinitions.RecordFinishedAsync(redis.GetDatabase(), message with { Children = run.Jobs }, run.Outcomes, delivery);
        if (run.Outcomes.Any(o => !o.Succeeded)) await recorded;
        await Task.WhenAll(
            recorded,
            ChildJobRunner.SendAsync(context, message.Platform, run.Spawned, SpawnsInteractive(context, run.Spawned)),
            context.Publish(new ChildJobsFinished(message.RootJobId, message.Platform, run.Outcomes)));
    }

    /// <summary>
    /// A batch taken from the interactive queue whose runs spawned few children (<see cref="IntegrationsOptions.InteractiveSpawnLimit"/>)
    /// keeps them interactive; a bigger spawn, and whatever a bulk batch spawns, goes to the bulk queue.
    /// </summary>
    private bool SpawnsInteractive(ConsumeContext context, IReadOnlyList<RunChildJobs> spawned) =>
        IntegrationQueues.IsInteractive(context.ReceiveContext.InputAddress) && SpawnedBatches.ChildrenIn(spawned) <= options.Value.InteractiveSpawnLimit;

    /// <summary>
    /// Every child of the batch failed with <paramref name="reason"/>, none run; <paramref name="stoppedByRoot"/>: because the root
    /// had already ended or was failing, so none of them can be what fails it.
    /// </summary>
    private static BatchRun NotRun(RunChildJobs message, string reason, bool stoppedByRoot)
    {
        var now = DateTimeOffset.UtcNow;
        return new BatchRun(message.Children, message.Children.Select(job => ChildJobOutcome.NotStarted(job, reason, now, stoppedByRoot)).ToList(), []);
    }
}
