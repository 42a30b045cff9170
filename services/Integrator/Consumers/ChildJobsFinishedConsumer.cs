using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrator.Consumers;

/// <summary>
/// Counts a batch of child outcomes in the ledger (one script call), sends continuations whose children
/// have all finished, and tells the saga when the whole tree is done. A failed child whose failure fails the root (a
/// task its platform marks required, or any child under <c>fail_fast</c>) is told to the saga at once
/// (<see cref="RootJobStepFailed"/>); from then on continuations that become due are not run but closed as failed.
/// The outcomes come from the runs (<see cref="ChildJobsFinished"/>, the Integrations' event) or from the Integrator itself
/// (<see cref="ChildJobsClosed"/>: timed out, or not started); both are counted the same way.
/// </summary>
public sealed class ChildJobsFinishedConsumer(JobLedger ledger, PlatformCatalog catalog, ILogger<ChildJobsFinishedConsumer> logger)
    : IConsumer<ChildJobsFinished>, IConsumer<ChildJobsClosed>
{
    public Task Consume(ConsumeContext<ChildJobsFinished> context) =>
        CountAsync(context, new Outcomes(context.Message.RootJobId, context.Message.Platform, context.Message.Outcomes));

    public Task Consume(ConsumeContext<ChildJobsClosed> context) =>
        CountAsync(context, new Outcomes(context.Message.RootJobId, context.Message.Platform, context.Message.Outcomes));

    private sealed record Outcomes(Guid RootJobId, string Platform, IReadOnlyList<ChildJobOutcome> Items);

    private async Task CountAsync(ConsumeContext context, Outcomes batch)
    {
        var batchId = context.MessageId ?? throw new InvalidOperationException("a batch of outcomes needs a message id");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = batch.RootJobId });

        var entryFailure = batch.Items.FirstOrDefault(o => o.Generation == 0 && !o.Succeeded);
        if (entryFailure is not null)
            await ledger.RecordEntryErrorAsync(batch.RootJobId, entryFailure.Error ?? "failed");

        // Which tasks are required is the platform's declaration (published by its Integrations hosts), read only when something failed.
        var platform = batch.Items.Any(o => !o.Succeeded) ? await catalog.FindAsync(batch.Platform) : null;
        LedgerResult result;
        using (var span = JobTracing.Source.StartActivity("ledger record"))
        {
            result = await ledger.RecordAsync(batch.RootJobId, batchId, batch.Items,
                platform is null ? null : outcome => platform.IsRequired(outcome.Task));
            span?.SetTag(JobTracing.RootJobId, batch.RootJobId.ToString()).SetTag(JobTracing.Platform, batch.Platform)
                .SetTag(JobTracing.Children, batch.Items.Count).SetTag(JobTracing.Failed, batch.Items.Count(o => !o.Succeeded))
                .SetTag("jobs.root.total", result.Total).SetTag("jobs.root.counted", result.Completed + result.Failed)
                .SetTag("jobs.continuations_due", result.Continuations.Count).SetTag("jobs.root.finished", result.RootFinished);
        }
        JobMetrics.Counted(batch.Platform, result.CountedSucceeded, result.CountedFailed);

        if (result.FailedBy is { } failedBy && batch.Items.FirstOrDefault(o => o.ChildJobId == failedBy) is { } failed)
        {
            logger.LogWarning("Child {ChildJobId} ({Task}) failed the root job: {Reason}", failedBy, failed.Task, result.Failure);
            await context.Publish(new RootJobStepFailed(batch.RootJobId, failedBy, failed.Task, result.Failure!, result.Total, result.Completed,
                result.Failed));
        }

        if (result.Continuations.Count > 0)
        {
            var jobs = result.Continuations.Select(due => due.Expected.Run(due.Job.Task, due.Job.Settings)).ToList();
            if (result.Failure is not null)
            {
                // Nothing that follows a failed root runs: the continuations are counted as failed without being started.
                logger.LogInformation("Not starting {Count} continuation(s) of a failed root job: {Reason}", jobs.Count, result.Failure);
                var now = DateTimeOffset.UtcNow;
                await context.Publish(new ChildJobsClosed(batch.RootJobId, batch.Platform, jobs.Select(job => ChildJobOutcome.NotStarted(job, FailurePolicy.NotStartedError, now, stoppedByRoot: true)).ToList()));
            }
            else
            {
                // A continuation is one run its root waits on: the interactive queue.
                var endpoint = await context.GetSendEndpoint(IntegrationQueues.For(batch.Platform, interactive: true));
                foreach (var job in jobs)
                {
                    logger.LogInformation("Children of {SpawnerJobId} finished; starting continuation {Task}", job.ParentJobId, job.Task);
                    await endpoint.Send(new RunChildJobs(batch.RootJobId, batch.Platform, [job]));
                }
            }
        }

        if (result.RootFinished)
        {
            await context.Publish(new RootJobChildrenFinished(batch.RootJobId, result.Total, result.Completed, result.Failed, result.EntryError,
                result.Failure));
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
