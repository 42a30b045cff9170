using Jobs.Contracts;
using MassTransit;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Every Integrations process hears every cancellation and failure of a root (a temporary queue of its own) and cancels
/// the children of that root it is running: a failed root (a required task failed, or any child under <c>fail_fast</c>)
/// stops like a cancelled one. Children still queued are not started (see <see cref="RunChildJobsConsumer"/>).
/// </summary>
public sealed class JobCancellationConsumer(RunningJobs running, ILogger<JobCancellationConsumer> logger) :
    IConsumer<RootJobCancelled>,
    IConsumer<RootJobFailed>
{
    public Task Consume(ConsumeContext<RootJobCancelled> context) => Stop(context.Message.RootJobId, context.Message.Reason, failed: false);

    public Task Consume(ConsumeContext<RootJobFailed> context) => Stop(context.Message.RootJobId, context.Message.Reason, failed: true);

    private Task Stop(Guid rootJobId, string? reason, bool failed)
    {
        if (running.Cancel(rootJobId, failed))
        {
            using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId }))
                logger.LogInformation("Cancelling the running children of the root job: {Reason}", reason);
        }

        return Task.CompletedTask;
    }
}
