using Jobs.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Consumes one integration's queue: runs a batch of children (in parallel, bounded) and publishes their
/// outcomes as one <see cref="ChildJobsFinished"/>. Children of a cancelled root are not started.
/// </summary>
public sealed class RunChildJobsConsumer(ChildJobRunner runner, IConnectionMultiplexer redis, IOptions<IntegrationsOptions> options)
    : IConsumer<RunChildJobs>
{
    public const string CancelledBeforeStart = "cancelled before it started";

    public async Task Consume(ConsumeContext<RunChildJobs> context)
    {
        var message = context.Message;
        var outcomes = new ChildJobOutcome[message.Children.Count];
        IReadOnlyList<RunChildJobs> spawned = [];
        var status = await ChildDefinitions.RecordRunningAsync(redis.GetDatabase(), message);
        if (status is JobStatus.Cancelled)
        {
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < outcomes.Length; i++)
            {
                var job = message.Children[i];
                outcomes[i] = new ChildJobOutcome(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation, job.Task, false,
                    CancelledBeforeStart, 0, null, 0, now, now);
            }
        }
        else
        {
            var runs = new ChildRun[outcomes.Length];
            if (runs.Length == 1)
            {
                runs[0] = await runner.ExecuteAsync(message.RootJobId, message.Platform, message.Children[0], context.CancellationToken);
            }
            else
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, runs.Length),
                    new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.ParallelChildrenPerMessage) },
                    async (i, _) => runs[i] = await runner.ExecuteAsync(message.RootJobId, message.Platform, message.Children[i],
                        context.CancellationToken));
            }

            for (var i = 0; i < runs.Length; i++) outcomes[i] = runs[i].Outcome;
            spawned = runs.SelectMany(r => r.Spawned).ToList();
        }

        await ChildDefinitions.RecordFinishedAsync(redis.GetDatabase(), message, outcomes);
        // Children and outcomes go out together; the message is acknowledged once both are confirmed.
        await Task.WhenAll(
            ChildJobRunner.SendAsync(context, message.Platform, spawned),
            context.Publish(new ChildJobsFinished(message.RootJobId, message.Platform, outcomes)));
    }
}
