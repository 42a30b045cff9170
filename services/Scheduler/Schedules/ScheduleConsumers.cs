using Jobs.JobTree;
using Jobs.Contracts;
using MassTransit;

namespace Jobs.Scheduler.Schedules;

/// <summary>Schedule management through the bus (any Scheduler instance; the store is shared).</summary>
public sealed class ScheduleCommandsConsumer(ScheduleStore store, Backfills backfills) :
    IConsumer<UpsertSchedule>,
    IConsumer<PauseSchedule>,
    IConsumer<ResumeSchedule>,
    IConsumer<TriggerSchedule>,
    IConsumer<DeleteSchedule>,
    IConsumer<ListSchedules>,
    IConsumer<StartBackfill>,
    IConsumer<ListBackfills>,
    IConsumer<GetBackfill>,
    IConsumer<CancelBackfill>
{
    public Task Consume(ConsumeContext<UpsertSchedule> context) =>
        RunAsync(context, context.Message.Schedule.Name, () => store.UpsertAsync(context.Message.Schedule, context.CancellationToken));

    public Task Consume(ConsumeContext<PauseSchedule> context) =>
        RunAsync(context, context.Message.Name, () => store.PauseAsync(context.Message.Name, context.CancellationToken));

    public Task Consume(ConsumeContext<ResumeSchedule> context) =>
        RunAsync(context, context.Message.Name, () => store.ResumeAsync(context.Message.Name, context.CancellationToken));

    public Task Consume(ConsumeContext<TriggerSchedule> context) =>
        RunAsync(context, context.Message.Name, () => store.TriggerAsync(context.Message.Name, context.CancellationToken));

    /// <summary>Deletes the schedule and cancels its backfills that still run.</summary>
    public Task Consume(ConsumeContext<DeleteSchedule> context) =>
        RunAsync(context, context.Message.Name, async () =>
        {
            await store.DeleteAsync(context.Message.Name, context.CancellationToken);
            await backfills.CancelAllAsync(context.Message.Name, context.CancellationToken);
        });

    public async Task Consume(ConsumeContext<ListSchedules> context) =>
        await context.RespondAsync(new ScheduleList(await store.ListAsync(context.CancellationToken)));

    public Task Consume(ConsumeContext<StartBackfill> context) =>
        BackfillAsync(context, async () => [await backfills.StartAsync(context.Message, context.CancellationToken)]);

    public Task Consume(ConsumeContext<ListBackfills> context) =>
        BackfillAsync(context, async () => await store.FindAsync(context.Message.Schedule, context.CancellationToken) is null
            ? throw new ScheduleNotFoundException(context.Message.Schedule)
            : await backfills.StatesAsync(context.Message.Schedule, null, context.CancellationToken));

    public Task Consume(ConsumeContext<GetBackfill> context) =>
        BackfillAsync(context, async () => [await backfills.GetAsync(context.Message.Schedule, context.Message.BackfillId, context.CancellationToken)]);

    public Task Consume(ConsumeContext<CancelBackfill> context) =>
        BackfillAsync(context, async () => [await backfills.CancelAsync(context.Message.Schedule, context.Message.BackfillId, context.CancellationToken)]);

    /// <summary>Runs a backfill request and answers with <see cref="BackfillResult"/>; refusals as <see cref="RunAsync"/> handles them.</summary>
    private static async Task BackfillAsync(ConsumeContext context, Func<Task<IReadOnlyList<BackfillState>>> request)
    {
        var isRequest = context.RequestId is not null && context.ResponseAddress is not null;
        IReadOnlyList<BackfillState> backfills;
        try
        {
            backfills = await request();
        }
        catch (InvalidScheduleException ex) when (isRequest)
        {
            var outcome = ex switch
            {
                ScheduleNotFoundException or BackfillNotFoundException => BackfillOutcome.NotFound,
                BackfillEndedException => BackfillOutcome.Ended,
                _ => BackfillOutcome.Invalid,
            };
            await context.RespondAsync(new BackfillResult(outcome, ex.Message, (ex as InvalidBackfillException)?.Errors, []));
            return;
        }

        if (isRequest) await context.RespondAsync(new BackfillResult(BackfillOutcome.Accepted, null, null, backfills));
    }

    /// <summary>
    /// Runs a command. A request (from Reporting) is answered, refusals included; a plain command that is refused
    /// faults into <c>scheduler-commands_error</c> with the reason, as nobody waits for an answer.
    /// </summary>
    private static async Task RunAsync(ConsumeContext context, string name, Func<Task> command)
    {
        var isRequest = context.RequestId is not null && context.ResponseAddress is not null;
        try
        {
            await command();
        }
        catch (InvalidScheduleException ex) when (isRequest)
        {
            await context.RespondAsync(new ScheduleCommandResult(name, false, ex is ScheduleNotFoundException, ex.Message));
            return;
        }

        if (isRequest) await context.RespondAsync(new ScheduleCommandResult(name, true, false, null));
    }
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

/// <summary>
/// Ends a schedule's run when its root job ends (or never started), which lets the next fire through, and for a run of a
/// backfill starts the backfill's next job.
/// </summary>
public sealed class RootJobEndsConsumer(ScheduleRuns runs, Backfills backfills) :
    IConsumer<RootJobCompleted>,
    IConsumer<RootJobFailed>,
    IConsumer<RootJobCancelled>,
    IConsumer<Fault<StartRootJob>>
{
    /// <summary>Completed or CompletedWithFailures: the run's outcome is the state the root ended in.</summary>
    public Task Consume(ConsumeContext<RootJobCompleted> context) =>
        End(context.Message.Schedule, context.Message.RootJobId, context.Message.Status is { Length: > 0 } status ? status : JobStatus.Completed, context);

    public Task Consume(ConsumeContext<RootJobFailed> context) => End(context.Message.Schedule, context.Message.RootJobId, JobStatus.Failed, context);

    public Task Consume(ConsumeContext<RootJobCancelled> context) => End(context.Message.Schedule, context.Message.RootJobId, JobStatus.Cancelled, context);

    public Task Consume(ConsumeContext<Fault<StartRootJob>> context) =>
        End(context.Message.Message.Schedule, context.Message.Message.RootJobId, "Rejected", context);

    private async Task End(string? schedule, Guid? rootJobId, string outcome, ConsumeContext context)
    {
        if (schedule is null || rootJobId is not { } id) return;
        if (await runs.FinishAsync(id, outcome, context.CancellationToken) is { } backfill)
            await backfills.AdvanceAsync(backfill, context.CancellationToken);
    }
}

public sealed class RootJobEndsConsumerDefinition : ConsumerDefinition<RootJobEndsConsumer>
{
    public RootJobEndsConsumerDefinition() => EndpointName = "scheduler-root-job-ends";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RootJobEndsConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Intervals(200, 1000, 5000, 15000));
}
