using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using MassTransit;

namespace Jobs.Integrator.Consumers;

/// <summary>
/// Ends a root the Auditor's sweeper found stalled with nothing missing: tells the saga that every child has finished,
/// with the counts the audit trail recorded and the failure the ledger recorded (a required task, or any child under
/// <c>fail_fast</c>), exactly as <see cref="ChildJobsFinishedConsumer"/> does when the ledger finds the tree done. The saga
/// ends a running root once and ignores the message for a root that has already ended, so a repeated repair changes nothing.
/// </summary>
public sealed class EndStalledRootJobConsumer(JobLedger ledger, ILogger<EndStalledRootJobConsumer> logger) : IConsumer<EndStalledRootJob>
{
    public async Task Consume(ConsumeContext<EndStalledRootJob> context)
    {
        var message = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = message.RootJobId });
        var failure = await ledger.FailureAsync(message.RootJobId);
        logger.LogWarning("Ending stalled root job of {Platform} from {Total} recorded outcomes ({Completed} completed, {Failed} failed)",
            message.Platform, message.Total, message.Completed, message.Failed);
        await context.Publish(new RootJobChildrenFinished(message.RootJobId, message.Total, message.Completed, message.Failed, message.EntryError, failure));
    }
}

public sealed class EndStalledRootJobConsumerDefinition : ConsumerDefinition<EndStalledRootJobConsumer>
{
    public EndStalledRootJobConsumerDefinition()
    {
        EndpointName = IntegrationQueues.EndStalledRootJobs;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<EndStalledRootJobConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Redis briefly unreachable: a repair is retried, never dropped (the sweeper only asks again after another deadline).
        endpointConfigurator.UseMessageRetry(r => r.Exponential(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
        // The saga is told only once the repair has been handled.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
