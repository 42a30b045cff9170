using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using MassTransit;

namespace Jobs.Integrator.Consumers;

/// <summary>
/// Counts a batch of child outcomes in the ledger (one script call), sends continuations whose children
/// have all finished, and tells the saga when the whole tree is done.
/// </summary>
public sealed class ChildJobsFinishedConsumer(JobLedger ledger, ILogger<ChildJobsFinishedConsumer> logger) : IConsumer<ChildJobsFinished>
{
    public async Task Consume(ConsumeContext<ChildJobsFinished> context)
    {
        var message = context.Message;
        var batchId = context.MessageId ?? throw new InvalidOperationException("ChildJobsFinished needs a message id");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = message.RootJobId });

        var entryFailure = message.Outcomes.FirstOrDefault(o => o.Generation == 0 && !o.Succeeded);
        if (entryFailure is not null)
            await ledger.RecordEntryErrorAsync(message.RootJobId, entryFailure.Error ?? "failed");

        var result = await ledger.RecordAsync(message.RootJobId, batchId, message.Outcomes);

        if (result.Continuations.Count > 0)
        {
            var endpoint = await context.GetSendEndpoint(IntegrationQueues.For(message.Platform));
            foreach (var due in result.Continuations)
            {
                var job = new ChildJob(JobIds.Continuation(due.SpawnerJobId), due.SpawnerJobId, due.GroupId, due.Generation, due.Job.Task,
                    due.Job.Settings);
                logger.LogInformation("Children of {SpawnerJobId} finished; starting continuation {Task}", due.SpawnerJobId, due.Job.Task);
                await endpoint.Send(new RunChildJobs(message.RootJobId, message.Platform, [job]));
            }
        }

        if (result.RootFinished)
        {
            await context.Publish(new RootJobChildrenFinished(message.RootJobId, result.Total, result.Completed, result.Failed,
                await ledger.EntryErrorAsync(message.RootJobId)));
        }
    }
}

public sealed class ChildJobsFinishedConsumerDefinition : ConsumerDefinition<ChildJobsFinishedConsumer>
{
    public ChildJobsFinishedConsumerDefinition() => ConcurrentMessageLimit = 32;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ChildJobsFinishedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.PrefetchCount = 64;
        endpointConfigurator.UseMessageRetry(r => r.Exponential(10, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)));
    }
}
