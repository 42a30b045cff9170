using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

/// <summary>
/// One instance per root job: Running until the ledger reports that every descendant has finished, then Completed (every
/// child succeeded), CompletedWithFailures (the failure policy accepted the failed ones) or Failed; Failed at once when a
/// child whose failure fails the root failed (a required task, or any under <c>fail_fast</c>); Cancelled on request.
/// </summary>
public sealed class RootJobStateMachine : MassTransitStateMachine<RootJobState>
{
    public RootJobStateMachine()
    {
        InstanceState(x => x.CurrentState);

        Event(() => Begin, e => e.CorrelateById(m => m.Message.RootJobId));
        Event(() => ChildrenFinished, e =>
        {
            e.CorrelateById(m => m.Message.RootJobId);
            // Sent only after the saga was stored (outbox); a miss means a replica lags: retry, never drop.
            e.OnMissingInstance(m => m.Fault());
        });
        Event(() => CancelRequested, e =>
        {
            e.CorrelateById(m => m.Message.RootJobId);
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => StepFailed, e =>
        {
            e.CorrelateById(m => m.Message.RootJobId);
            // Like ChildrenFinished: sent by the ledger only for a started (stored) root.
            e.OnMissingInstance(m => m.Fault());
        });

        Initially(
            When(Begin)
                .Then(context =>
                {
                    var message = context.Message;
                    context.Saga.Platform = message.Platform;
                    context.Saga.Settings = message.Settings.Clone();
                    context.Saga.Schedule = message.Schedule;
                    context.Saga.RetryOf = message.RetryOf;
                    context.Saga.MinSuccessPercent = message.MinSuccessPercent;
                    context.Saga.StartedAt = message.StartedAt;
                    context.Saga.TraceParent = JobTracing.CurrentTraceParent();
                })
                .Activity(x => x.OfType<StartRootJobActivity>())
                .Publish(context => new RootJobStarted(context.Saga.CorrelationId, context.Saga.Platform, context.Saga.Settings, context.Saga.Schedule,
                    context.Saga.MinSuccessPercent, context.Saga.StartedAt, context.Saga.RetryOf, context.Saga.TraceParent))
                .TransitionTo(Running));

        During(Running,
            Ignore(Begin),
            When(ChildrenFinished)
                .Then(context =>
                {
                    var message = context.Message;
                    Finish(context.Saga, message.Total, message.Completed, message.Failed);
                    context.Saga.AllChildrenFinished = true;
                    context.Saga.Reason = FailureReason(context.Saga, message.EntryError, message.Failure);
                })
                .IfElse(context => context.Saga.Reason is null,
                    completed => completed
                        .IfElse(context => context.Saga.Failed == 0,
                            all => all.TransitionTo(Completed),
                            some => some.TransitionTo(CompletedWithFailures))
                        .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
                        .Publish(context => new RootJobCompleted(context.Saga.CorrelationId, context.Saga.Platform, context.Saga.Schedule,
                            context.Saga.Total, context.Saga.Completed, context.Saga.Failed, context.Saga.StartedAt, context.Saga.FinishedAt!.Value,
                            context.Saga.CurrentState)),
                    failed => failed
                        .TransitionTo(Failed)
                        .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
                        .Publish(context => Failure(context.Saga))),
            When(StepFailed)
                .Then(context =>
                {
                    var message = context.Message;
                    Finish(context.Saga, message.Total, message.Completed, message.Failed);
                    context.Saga.Reason = message.Reason;
                })
                .TransitionTo(Failed)
                .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
                .Publish(context => Failure(context.Saga)),
            When(CancelRequested)
                .Then(context =>
                {
                    context.Saga.FinishedAt = DateTimeOffset.UtcNow;
                    context.Saga.Reason = context.Message.Reason ?? "cancelled";
                })
                .TransitionTo(Cancelled)
                .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
                .Publish(context => new RootJobCancelled(context.Saga.CorrelationId, context.Saga.Platform, context.Saga.Schedule,
                    context.Saga.Reason, context.Saga.StartedAt, context.Saga.FinishedAt!.Value)));

        During(Completed, CompletedWithFailures, Failed, Cancelled,
            Ignore(Begin),
            Ignore(ChildrenFinished),
            Ignore(StepFailed),
            Ignore(CancelRequested));
    }

    public State Running { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State CompletedWithFailures { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<BeginRootJob> Begin { get; private set; } = null!;
    public Event<RootJobChildrenFinished> ChildrenFinished { get; private set; } = null!;
    public Event<CancelRootJob> CancelRequested { get; private set; } = null!;
    public Event<RootJobStepFailed> StepFailed { get; private set; } = null!;

    /// <summary>The root's final counts, as the message that ends it carries them, and the time it ended.</summary>
    private static void Finish(RootJobState job, long total, long completed, long failed)
    {
        job.Total = total;
        job.Completed = completed;
        job.Failed = failed;
        job.FinishedAt = DateTimeOffset.UtcNow;
    }

    private static RootJobFailed Failure(RootJobState job) =>
        new(job.CorrelationId, job.Platform, job.Schedule, job.Total, job.Completed, job.Failed, job.Reason!, job.StartedAt, job.FinishedAt!.Value);

    /// <summary>
    /// The failure policy once every child has finished: the entry run must succeed, no child that fails the root may have
    /// failed (<paramref name="failure"/>: a required task, or any under <c>fail_fast</c>), and at least MinSuccessPercent of
    /// the children must have succeeded. Null: the root completes (with failures when some child failed).
    /// </summary>
    public static string? FailureReason(RootJobState job, string? entryError, string? failure = null)
    {
        if (entryError is not null) return $"the job's entry run failed: {entryError}";
        if (failure is not null) return failure;
        if (job.MinSuccessPercent <= 0 || job.Total == 0) return null;
        var percent = 100.0 * job.Completed / job.Total;
        return percent + 1e-9 < job.MinSuccessPercent
            ? $"{job.Completed} of {job.Total} children succeeded ({percent:F1}%), below the required {job.MinSuccessPercent}%"
            : null;
    }
}
