using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.JobTree;
using Jobs.Platforms;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

/// <summary>What the saga sends to the platform's queue: the root's entry run, and the hooks of a phase (<see cref="RunJobHooks"/>).</summary>
public static class RootJobSteps
{
    /// <summary>
    /// The hooks the root's validated settings list for <paramref name="phase"/>; none for a retry of failed children (<see cref="RootJobState.RetryOf"/>):
    /// its settings are the audited, masked ones, and its original job already ran them.
    /// </summary>
    public static IReadOnlyList<HookCall> Hooks(RootJobState job, string phase) =>
        job.RetryOf is not null ? [] : JobHooks.Of(job.Settings, phase).Select(h => new HookCall(h.Name, h.Settings)).ToList();

    /// <summary>The root's task hooks (run around each run of their task by the Integrations processes); none for a retry, like its own hooks.</summary>
    public static IReadOnlyList<TaskHook> TaskHooks(RootJobState job) => job.RetryOf is not null ? [] : JobHooks.TasksOf(job.Settings);

    public static bool HasHooks(RootJobState job, string phase) => Hooks(job, phase).Count > 0;

    /// <summary>Sends the entry run (or, for a retry, the run that spawns the failed children of the job it retries).</summary>
    public static async Task SendEntryAsync(ConsumeContext context, RootJobState job)
    {
        var entry = job.RetryOf is { } retryOf
            ? TreeRules.Entry(job.CorrelationId).Run(IntegrationTasks.RetryFailed,
                JsonSerializer.SerializeToElement(new Dictionary<string, Guid> { ["retry_of"] = retryOf }))
            : TreeRules.Entry(job.CorrelationId).Run(IntegrationTasks.Entry, job.Settings);
        // The interactive queue: a new root's first step never waits behind another root's batches.
        var endpoint = await context.GetSendEndpoint(IntegrationQueues.For(job.Platform, interactive: true));
        await endpoint.Send(new RunChildJobs(job.CorrelationId, job.Platform, [entry]));
    }

    /// <summary>Sends the hooks of <paramref name="phase"/>; post hooks get the outcome the root is about to end with (<see cref="RootJobState.Outcome"/>).</summary>
    public static async Task SendHooksAsync(ConsumeContext context, RootJobState job, string phase)
    {
        var outcome = phase == JobHooks.Post
            ? new HookJobOutcome(job.Outcome ?? JobStatus.Completed, job.Total, job.Completed, job.Failed, job.Reason, job.FinishedAt ?? DateTimeOffset.UtcNow)
            : null;
        var endpoint = await context.GetSendEndpoint(IntegrationQueues.For(job.Platform, interactive: true));
        await endpoint.Send(new RunJobHooks(job.CorrelationId, job.Platform, job.Schedule, phase, Hooks(job, phase), job.StartedAt, outcome));
    }

    /// <summary>Whether every pre hook the root lists ran and succeeded (none failed, none skipped the job).</summary>
    public static bool PreHooksPassed(RootJobState job, JobHooksFinished finished) =>
        finished.Outcomes.Count == Hooks(job, JobHooks.Pre).Count && finished.Outcomes.All(o => o.Status == JobHookOutcome.Succeeded);

    /// <summary>
    /// The end of a root whose pre hooks stopped it (no child ran, its counts are 0): Failed with the failed hook's error, or
    /// Completed when one skipped it.
    /// </summary>
    public static void StopAfterPreHooks(RootJobState job, JobHooksFinished finished)
    {
        job.Total = job.Completed = job.Failed = 0;
        job.FinishedAt = DateTimeOffset.UtcNow;
        job.AllChildrenFinished = true;
        var stopped = finished.Outcomes.LastOrDefault();
        if (stopped is { Status: JobHookOutcome.Skipped })
        {
            job.Outcome = JobStatus.Completed;
            job.Reason = null;
            return;
        }

        job.Outcome = JobStatus.Failed;
        job.Reason = JobLedger.HookError(finished) ?? "the pre hooks did not all run";
    }
}

/// <summary>Records a phase's hook runs in the read model; after the pre hooks, sends the entry run when they all passed.</summary>
public sealed class HooksFinishedActivity(JobLedger ledger, ILogger<HooksFinishedActivity> logger) : IStateMachineActivity<RootJobState, JobHooksFinished>
{
    public async Task Execute(BehaviorContext<RootJobState, JobHooksFinished> context, IBehavior<RootJobState, JobHooksFinished> next)
    {
        var (job, finished) = (context.Saga, context.Message);
        await ledger.RecordHooksAsync(job.CorrelationId, finished);
        using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = job.CorrelationId }))
        {
            if (finished.Phase == JobHooks.Pre && RootJobSteps.PreHooksPassed(job, finished))
            {
                await RootJobSteps.SendEntryAsync(context, job);
                logger.LogInformation("Pre hooks passed; entry run sent to {Platform}", job.Platform);
            }
            else if (finished.Phase == JobHooks.Post)
            {
                job.HookError = JobLedger.HookError(finished);
            }
        }

        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RootJobState, JobHooksFinished, TException> context,
        IBehavior<RootJobState, JobHooksFinished> next) where TException : Exception => next.Faulted(context);

    public void Probe(ProbeContext context) => context.CreateScope("job-hooks-finished");

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);
}
