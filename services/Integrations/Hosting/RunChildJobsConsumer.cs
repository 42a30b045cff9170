using Jobs.Contracts;
using MassTransit;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Consumes one integration's queue: runs a batch of children (in parallel, bounded, with small spawns run inline: see
/// <see cref="ChildJobRunner.RunBatchAsync"/>) and publishes their outcomes as one <see cref="ChildJobsFinished"/>.
/// Children of a cancelled root are not started.
/// </summary>
public sealed class RunChildJobsConsumer(ChildJobRunner runner, IConnectionMultiplexer redis)
    : IConsumer<RunChildJobs>
{
    public const string CancelledBeforeStart = "cancelled before it started";

    public async Task Consume(ConsumeContext<RunChildJobs> context)
    {
        var message = context.Message;
        BatchRun run;
        var status = await ChildDefinitions.RecordRunningAsync(redis.GetDatabase(), message);
        if (status is JobStatus.Cancelled)
        {
            var now = DateTimeOffset.UtcNow;
            run = new BatchRun(message.Children, message.Children.Select(job => new ChildJobOutcome(job.ChildJobId, job.ParentJobId, job.GroupId,
                job.Generation, job.Task, false, CancelledBeforeStart, 0, null, 0, now, now)).ToList(), []);
        }
        else
        {
            run = await runner.RunBatchAsync(message, context.CancellationToken);
        }

        await ChildDefinitions.RecordFinishedAsync(redis.GetDatabase(), message with { Children = run.Jobs }, run.Outcomes);
        // Children and outcomes go out together; the message is acknowledged once both are confirmed.
        await Task.WhenAll(
            ChildJobRunner.SendAsync(context, message.Platform, run.Spawned),
            context.Publish(new ChildJobsFinished(message.RootJobId, message.Platform, run.Outcomes)));
    }
}
