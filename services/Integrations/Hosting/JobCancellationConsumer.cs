using Jobs.Contracts;
using MassTransit;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Every Integrations process hears every cancellation (a temporary queue of its own) and cancels the
/// children of that root it is running. Children still queued are not started (see <see cref="RunChildJobsConsumer"/>).
/// </summary>
public sealed class JobCancellationConsumer(RunningJobs running, ILogger<JobCancellationConsumer> logger) : IConsumer<RootJobCancelled>
{
    public Task Consume(ConsumeContext<RootJobCancelled> context)
    {
        if (running.Cancel(context.Message.RootJobId))
        {
            using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = context.Message.RootJobId }))
                logger.LogInformation("Cancelling the running children of the root job: {Reason}", context.Message.Reason);
        }

        return Task.CompletedTask;
    }
}
