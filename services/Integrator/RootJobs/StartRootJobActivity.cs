using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using System.Diagnostics;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

/// <summary>Registers the root in the ledger and sends its pre hooks, or its entry run when it has none, to the platform's queue.</summary>
public sealed class StartRootJobActivity(JobLedger ledger, ILogger<StartRootJobActivity> logger)
    : IStateMachineActivity<RootJobState, BeginRootJob>
{
    public async Task Execute(BehaviorContext<RootJobState, BeginRootJob> context, IBehavior<RootJobState, BeginRootJob> next)
    {
        var job = context.Saga;
        Activity.Current?.SetTag(JobTracing.RootJobId, job.CorrelationId.ToString()).SetTag(JobTracing.Platform, job.Platform);
        using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = job.CorrelationId }))
        {
            if (await ledger.StartAsync(job.CorrelationId, job.Platform, job.Schedule, job.StartedAt, FailurePolicy.Of(job.Settings), job.RetryOf,
                    RootJobSteps.TaskHooks(job)))
                JobMetrics.Started(job.Platform);
            // Pre hooks first, when the job lists any: the entry run is sent once they have all passed (HooksFinishedActivity).
            if (RootJobSteps.HasHooks(job, Jobs.Platforms.JobHooks.Pre)) await RootJobSteps.SendHooksAsync(context, job, Jobs.Platforms.JobHooks.Pre);
            else await RootJobSteps.SendEntryAsync(context, job);
            logger.LogInformation("Root job started on platform {Platform}", job.Platform);
        }

        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RootJobState, BeginRootJob, TException> context,
        IBehavior<RootJobState, BeginRootJob> next) where TException : Exception => next.Faulted(context);

    public void Probe(ProbeContext context) => context.CreateScope("start-root-job");

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);
}
