using Jobs.Contracts;
using MassTransit;

namespace Jobs.Scheduler.Schedules;

/// <summary>Schedule management through the bus (any Scheduler instance; the store is shared).</summary>
public sealed class ScheduleCommandsConsumer(ScheduleStore store) :
    IConsumer<UpsertSchedule>,
    IConsumer<PauseSchedule>,
    IConsumer<ResumeSchedule>,
    IConsumer<TriggerSchedule>,
    IConsumer<DeleteSchedule>
{
    public Task Consume(ConsumeContext<UpsertSchedule> context) => store.UpsertAsync(context.Message.Schedule, context.CancellationToken);

    public Task Consume(ConsumeContext<PauseSchedule> context) => store.PauseAsync(context.Message.Name, context.CancellationToken);

    public Task Consume(ConsumeContext<ResumeSchedule> context) => store.ResumeAsync(context.Message.Name, context.CancellationToken);

    public Task Consume(ConsumeContext<TriggerSchedule> context) => store.TriggerAsync(context.Message.Name, context.CancellationToken);

    public Task Consume(ConsumeContext<DeleteSchedule> context) => store.DeleteAsync(context.Message.Name, context.CancellationToken);
}

public sealed class ScheduleCommandsConsumerDefinition : ConsumerDefinition<ScheduleCommandsConsumer>
{
    public ScheduleCommandsConsumerDefinition()
    {
        EndpointName = IntegrationQueues.SchedulerCommands;
        // One command at a time, in the order sent: "create, then trigger" must not run the other way round.
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ScheduleCommandsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.PrefetchCount = 1;
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<InvalidScheduleException>();
            r.Intervals(200, 1000, 5000);
        });
    }
}

/// <summary>Ends a schedule's run when its root job ends (or never started), which lets the next fire through.</summary>
public sealed class RootJobEndsConsumer(ScheduleRuns runs) :
    IConsumer<RootJobCompleted>,
    IConsumer<RootJobFailed>,
    IConsumer<RootJobCancelled>,
    IConsumer<Fault<StartRootJob>>
{
    public Task Consume(ConsumeContext<RootJobCompleted> context) => End(context.Message.Schedule, context.Message.RootJobId, JobStatus.Completed, context);

    public Task Consume(ConsumeContext<RootJobFailed> context) => End(context.Message.Schedule, context.Message.RootJobId, JobStatus.Failed, context);

    public Task Consume(ConsumeContext<RootJobCancelled> context) => End(context.Message.Schedule, context.Message.RootJobId, JobStatus.Cancelled, context);

    public Task Consume(ConsumeContext<Fault<StartRootJob>> context) =>
        End(context.Message.Message.Schedule, context.Message.Message.RootJobId, "Rejected", context);

    private Task End(string? schedule, Guid? rootJobId, string outcome, ConsumeContext context) =>
        schedule is null || rootJobId is not { } id ? Task.CompletedTask : runs.FinishAsync(id, outcome, context.CancellationToken);
}

public sealed class RootJobEndsConsumerDefinition : ConsumerDefinition<RootJobEndsConsumer>
{
    public RootJobEndsConsumerDefinition() => EndpointName = "scheduler-root-job-ends";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RootJobEndsConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Intervals(200, 1000, 5000, 15000));
}
