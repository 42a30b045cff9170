using Jobs.Contracts;
using MassTransit;

namespace Jobs.Integrator.Consumers;

/// <summary>
/// Fails children that timed out: they are published as failed outcomes, which the ledger counts like any
/// other (once) and the Auditor records.
/// </summary>
public sealed class ChildJobsTimedOutConsumer(ILogger<ChildJobsTimedOutConsumer> logger) : IConsumer<ChildJobsTimedOut>
{
    public const string TimedOutTask = "timed-out";

    public async Task Consume(ConsumeContext<ChildJobsTimedOut> context)
    {
        var message = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = message.RootJobId });
        logger.LogWarning("{Count} children timed out: {Reason}", message.Children.Count, message.Reason);
        var now = DateTimeOffset.UtcNow;
        foreach (var chunk in message.Children.Chunk(JobLimits.MaxChildrenPerMessage))
        {
            var outcomes = chunk.Select(c => new ChildJobOutcome(c.ChildJobId, c.ParentJobId, c.GroupId, c.Generation, TimedOutTask, false,
                $"timed out: {message.Reason}", 0, null, 0, now, now)).ToList();
            await context.Publish(new ChildJobsFinished(message.RootJobId, message.Platform, outcomes));
        }
    }
}
