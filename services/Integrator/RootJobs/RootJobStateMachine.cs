using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

/// <summary>
/// One instance per root job: PreHooks while the job's pre hooks run (a failed one fails it, a skipping one completes it, with no child
/// run), Running until the ledger reports that every descendant has finished, then Completed (every child succeeded), CompletedWithFailures
/// (the failure policy accepted the failed ones) or Failed; Failed at once when a child whose failure fails the root failed (a required
/// task, or any under <c>fail_fast</c>); before that end, PostHooks while its post hooks run (a failed one marks the job with its error,
/// the status and counts stay); Cancelled on request.
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

        Event(() => HooksFinished, e =>
        {
            e.CorrelateById(m => m.Message.RootJobId);
            // Sent only for a stored root (its hooks were sent by the saga): retry, never drop.
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
                .IfElse(context => RootJobSteps.HasHooks(context.Saga, JobHooks.Pre),
                    hooks => hooks.TransitionTo(PreHooks),
                    run => run.TransitionTo(Running)));

        During(PreHooks,
            Ignore(Begin),
            Ignore(ChildrenFinished),
            Ignore(StepFailed),
            Ignore(HooksFinished, context => context.Message.Phase != JobHooks.Pre),
            When(HooksFinished, context => context.Message.Phase == JobHooks.Pre)
                .Activity(x => x.OfType<HooksFinishedActivity>())
                .IfElse(context => RootJobSteps.PreHooksPassed(context.Saga, context.Message),
                    run => run.TransitionTo(Running),
                    stop => Ending(stop.Then(context => RootJobSteps.StopAfterPreHooks(context.Saga, context.Message)))),
            Cancel(When(CancelRequested)));

        During(Running,
            Ignore(Begin),
            Ignore(HooksFinished),
            Ending(When(ChildrenFinished)
                .Then(context =>
                {
                    var message = context.Message;
                    Finish(context.Saga, message.Total, message.Completed, message.Failed);
                    context.Saga.AllChildrenFinished = true;
                    context.Saga.Reason = FailureReason(context.Saga, message.EntryError, message.Failure);
                    context.Saga.Outcome = context.Saga.Reason is not null ? JobStatus.Failed
                        : context.Saga.Failed == 0 ? JobStatus.Completed
                        : JobStatus.CompletedWithFailures;
                })),
            Ending(When(StepFailed)
                .Then(context =>
                {
                    var message = context.Message;
                    Finish(context.Saga, message.Total, message.Completed, message.Failed);
                    context.Saga.Reason = message.Reason;
                    context.Saga.Outcome = JobStatus.Failed;
                })),
            Cancel(When(CancelRequested)));

        During(PostHooks,
            Ignore(Begin),
            Ignore(ChildrenFinished),
            Ignore(StepFailed),
            Ignore(HooksFinished, context => context.Message.Phase != JobHooks.Post),
            End(When(HooksFinished, context => context.Message.Phase == JobHooks.Post)
                .Activity(x => x.OfType<HooksFinishedActivity>())),
            Cancel(When(CancelRequested)));

        During(Completed, CompletedWithFailures, Failed, Cancelled,
            Ignore(Begin),
            Ignore(ChildrenFinished),
            Ignore(StepFailed),
            Ignore(HooksFinished),
            Ignore(CancelRequested));
    }

    /// <summary>The root has its outcome (<see cref="RootJobState.Outcome"/>): its post hooks run first when it lists any, else it ends.</summary>
    private EventActivityBinder<RootJobState, T> Ending<T>(EventActivityBinder<RootJobState, T> binder) where T : class =>
        binder.IfElse(context => RootJobSteps.HasHooks(context.Saga, JobHooks.Post),
            hooks => hooks.ThenAsync(context => RootJobSteps.SendHooksAsync(context, context.Saga, JobHooks.Post)).TransitionTo(PostHooks),
            end => End(end));

    /// <summary>Ends the root in its outcome: the final state, the read model, and RootJobCompleted or RootJobFailed.</summary>
    private EventActivityBinder<RootJobState, T> End<T>(EventActivityBinder<RootJobState, T> binder) where T : class =>
        binder.IfElse(context => context.Saga.Outcome == JobStatus.Failed,
            failed => failed
                .TransitionTo(Failed)
                .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
                .Publish(context => Failure(context.Saga)),
            completed => completed
                .IfElse(context => context.Saga.Outcome == JobStatus.CompletedWithFailures,
                    some => some.TransitionTo(CompletedWithFailures),
                    all => all.TransitionTo(Completed))
                .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
                .Publish(context => new RootJobCompleted(context.Saga.CorrelationId, context.Saga.Platform, context.Saga.Schedule,
                    context.Saga.Total, context.Saga.Completed, context.Saga.Failed, context.Saga.StartedAt, context.Saga.FinishedAt!.Value,
                    context.Saga.CurrentState, context.Saga.HookError)));

    /// <summary>Cancelled on request, whatever runs (children or hooks: the Integrations processes stop them).</summary>
    private EventActivityBinder<RootJobState, CancelRootJob> Cancel(EventActivityBinder<RootJobState, CancelRootJob> binder) =>
        binder
            .Then(context =>
            {
                context.Saga.FinishedAt = DateTimeOffset.UtcNow;
                context.Saga.Reason = context.Message.Reason ?? "cancelled";
            })
            .TransitionTo(Cancelled)
            .Activity(x => x.OfInstanceType<FinishRootJobActivity>())
            .Publish(context => new RootJobCancelled(context.Saga.CorrelationId, context.Saga.Platform, context.Saga.Schedule,
                context.Saga.Reason, context.Saga.StartedAt, context.Saga.FinishedAt!.Value));

    /// <summary>The root's pre hooks run; its entry run is sent once they have all passed.</summary>
    public State PreHooks { get; private set; } = null!;

    public State Running { get; private set; } = null!;

    /// <summary>The root has its final counts and outcome; its post hooks run, then it ends in that outcome.</summary>
    public State PostHooks { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State CompletedWithFailures { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<BeginRootJob> Begin { get; private set; } = null!;
    public Event<RootJobChildrenFinished> ChildrenFinished { get; private set; } = null!;
    public Event<CancelRootJob> CancelRequested { get; private set; } = null!;
    public Event<RootJobStepFailed> StepFailed { get; private set; } = null!;
    public Event<JobHooksFinished> HooksFinished { get; private set; } = null!;

    /// <summary>The root's final counts, as the message that ends it carries them, and the time it ended.</summary>
    private static void Finish(RootJobState job, long total, long completed, long failed)
    {
        job.Total = total;
        job.Completed = completed;
        job.Failed = failed;
        job.FinishedAt = DateTimeOffset.UtcNow;
    }

    private static RootJobFailed Failure(RootJobState job) =>
        new(job.CorrelationId, job.Platform, job.Schedule, job.Total, job.Completed, job.Failed, job.Reason!, job.StartedAt, job.FinishedAt!.Value,
            job.HookError);

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
