using Jobs.Integrator.Ledger;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

/// <summary>Writes the final status into the read model and lets the per-child bookkeeping expire.</summary>
public sealed class FinishRootJobActivity(JobLedger ledger, ILogger<FinishRootJobActivity> logger) : IStateMachineActivity<RootJobState>
{
    public static readonly TimeSpan KeepBookkeeping = TimeSpan.FromDays(1);

    public Task Execute(BehaviorContext<RootJobState> context, IBehavior<RootJobState> next) => Finish(context, () => next.Execute(context));

    public Task Execute<T>(BehaviorContext<RootJobState, T> context, IBehavior<RootJobState, T> next) where T : class =>
        Finish(context, () => next.Execute(context));

    private async Task Finish(BehaviorContext<RootJobState> context, Func<Task> next)
    {
        var job = context.Saga;
        // The end is a span of the root's trace, whichever trace ended it (the last batch's, a cancellation's, a repair's).
        using var span = JobTracing.StartInRootTrace("root job end", job.TraceParent);
        span?.SetTag(JobTracing.RootJobId, job.CorrelationId.ToString()).SetTag(JobTracing.Platform, job.Platform).SetTag(JobTracing.Status, job.CurrentState)
            .SetTag(JobTracing.Children, job.Total).SetTag(JobTracing.Failed, job.Failed);
        // Counts only once every child has finished: a root that ended early keeps the ledger's live counts.
        // The bookkeeping's expiry goes out in the same round trip.
        var first = ledger.SetStatusAsync(job.CorrelationId, job.CurrentState, job.FinishedAt, job.Reason,
            job.AllChildrenFinished ? (job.Total, job.Completed, job.Failed) : null, job.Platform);
        await Task.WhenAll(first, ledger.ExpireBookkeepingAsync(job.CorrelationId, KeepBookkeeping));
        if (await first) JobMetrics.Ended(job.Platform, job.CurrentState, job.StartedAt, job.FinishedAt);
        using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = job.CorrelationId }))
            logger.LogInformation("Root job {Status}: {Completed} completed and {Failed} failed of {Total} children{Reason}",
                job.CurrentState, job.Completed, job.Failed, job.Total, job.Reason is null ? "" : $" ({job.Reason})");
        await next();
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RootJobState, TException> context, IBehavior<RootJobState> next)
        where TException : Exception => next.Faulted(context);

    public Task Faulted<T, TException>(BehaviorExceptionContext<RootJobState, T, TException> context, IBehavior<RootJobState, T> next)
        where T : class where TException : Exception => next.Faulted(context);

    public void Probe(ProbeContext context) => context.CreateScope("finish-root-job");

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);
}
