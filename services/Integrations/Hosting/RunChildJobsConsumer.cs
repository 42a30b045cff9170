using Jobs.Contracts;
using MassTransit;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Consumes one integration's queue: runs a batch of children (in parallel, bounded, with small spawns run inline: see
/// <see cref="ChildJobRunner.RunBatchAsync"/>) and publishes their outcomes as one <see cref="ChildJobsFinished"/>.
/// Children of a root that was cancelled, has ended or is failing (a required task failed, or any child under
/// <c>fail_fast</c>) are not started: they are reported failed with the reason, so the root's counts stay exact.
/// </summary>
public sealed class RunChildJobsConsumer(ChildJobRunner runner, IConnectionMultiplexer redis)
    : IConsumer<RunChildJobs>
{
    public const string CancelledBeforeStart = "cancelled before it started";


    public async Task Consume(ConsumeContext<RunChildJobs> context)
    {
        var message = context.Message;
        BatchRun run;
        var root = await ChildDefinitions.RecordRunningAsync(redis.GetDatabase(), message);
        var notStarted = root.Status is JobStatus.Cancelled ? CancelledBeforeStart
            : root.Failure is not null || JobStatus.HasEnded(root.Status) ? FailurePolicy.NotStartedError
            : null;
        if (notStarted is not null)
        {
            var now = DateTimeOffset.UtcNow;
            run = new BatchRun(message.Children, message.Children.Select(job => new ChildJobOutcome(job.ChildJobId, job.ParentJobId, job.GroupId,
                job.Generation, job.Task, false, notStarted, 0, null, 0, now, now, StoppedByRoot: true)).ToList(), []);
        }
        else
        {
            run = await runner.RunBatchAsync(message, context.CancellationToken, root.FailurePolicy == FailurePolicy.FailFast);
        }

        await ChildDefinitions.RecordFinishedAsync(redis.GetDatabase(), message with { Children = run.Jobs }, run.Outcomes);
        // Children and outcomes go out together; the message is acknowledged once both are confirmed.
        await Task.WhenAll(
            ChildJobRunner.SendAsync(context, message.Platform, run.Spawned),
            context.Publish(new ChildJobsFinished(message.RootJobId, message.Platform, run.Outcomes)));
    }
}
