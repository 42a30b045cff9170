using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrations.Hooks;

/// <summary>
/// Runs the hooks of one phase of a root job (<see cref="RunJobHooks"/>, sent by the RootJob saga to the platform's queue) in order and
/// publishes <see cref="JobHooksFinished"/>. Each hook runs as a step (<see cref="HookRunner"/>: retried, stopped at its deadline, cancelled
/// with its root); a pre hook that failed or skipped the job stops the phase.
/// </summary>
public sealed class RunJobHooksConsumer(HookRunner hooks, RunningJobs running, ILogger<RunJobHooksConsumer> logger) : IConsumer<RunJobHooks>
{
    public async Task Consume(ConsumeContext<RunJobHooks> context)
    {
        var request = context.Message;
        using var span = JobTracing.Source.StartActivity($"{request.Phase} hooks");
        span?.SetTag(JobTracing.RootJobId, request.RootJobId.ToString()).SetTag(JobTracing.Platform, request.Platform).SetTag("jobs.hooks", request.Hooks.Count);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = request.RootJobId });
        var outcomes = new List<JobHookOutcome>(request.Hooks.Count);
        using (var lease = running.Enter(request.RootJobId, context.CancellationToken))
        {
            for (var i = 0; i < request.Hooks.Count; i++)
            {
                var outcome = await hooks.RunAsync(request, i, lease);
                outcomes.Add(outcome);
                if (outcome.Status == JobHookOutcome.Succeeded) continue;
                logger.LogWarning("{Phase} hook {Index} '{Hook}' {Status}: {Error}", request.Phase, i, outcome.Name, outcome.Status, outcome.Error);
                if (request.Phase == JobHooks.Pre || lease.CancelledByRequest) break;
            }
        }

        await context.Publish(new JobHooksFinished(request.RootJobId, request.Platform, request.Phase, outcomes));
    }
}
