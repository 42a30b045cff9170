using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Platforms;
using Jobs.Plugins;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Hooks;

/// <summary>
/// Runs the hooks of one phase of a root job (<see cref="RunJobHooks"/>, sent by the RootJob saga to the platform's queue) in order and
/// publishes <see cref="JobHooksFinished"/>. Each hook run is retried under the platform's policy (<c>Integrations:MaxAttempts</c>, its
/// deadline <c>Integrations:ChildDeadline</c> / <c>Deadlines</c>), is cancelled with its root, and stops the phase when it is a pre hook that
/// failed or skipped the job. A hook this process does not define (the catalog changed since submit) fails with that reason.
/// </summary>
public sealed class RunJobHooksConsumer(
    IEnumerable<IJobHook> hooks, RunningJobs running, IConnectionMultiplexer redis, PlatformDatabases databases, IOptions<IntegrationsOptions> options,
    ILogger<RunJobHooksConsumer> logger) : IConsumer<RunJobHooks>
{
    // With the phases each may run in, described once (a descriptor is built from the hook's settings type).
    private readonly Dictionary<string, (IJobHook Hook, IReadOnlyList<string> Phases)> _hooks =
        hooks.ToDictionary(h => h.Name, h => (h, h.Describe().Phases), StringComparer.Ordinal);

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
                var outcome = await RunAsync(request, i, lease);
                outcomes.Add(outcome);
                if (outcome.Status == JobHookOutcome.Succeeded) continue;
                logger.LogWarning("{Phase} hook {Index} '{Hook}' {Status}: {Error}", request.Phase, i, outcome.Name, outcome.Status, outcome.Error);
                if (request.Phase == JobHooks.Pre || lease.CancelledByRequest) break;
            }
        }

        await context.Publish(new JobHooksFinished(request.RootJobId, request.Platform, request.Phase, outcomes));
    }

    private async Task<JobHookOutcome> RunAsync(RunJobHooks request, int index, RunningJobs.Lease lease)
    {
        var call = request.Hooks[index];
        var startedAt = DateTimeOffset.UtcNow;
        JobHookOutcome Outcome(string status, string? error, int attempts) => new(index, call.Name, status, error, attempts, startedAt, DateTimeOffset.UtcNow);
        if (!_hooks.TryGetValue(call.Name, out var defined))
            return Outcome(JobHookOutcome.Failed, $"hook '{call.Name}' is not defined in this Integrations process", 0);
        var hook = defined.Hook;
        if (!defined.Phases.Contains(request.Phase))
            return Outcome(JobHookOutcome.Failed, $"hook '{call.Name}' does not run as a {request.Phase} hook", 0);

        var maxAttempts = Math.Max(1, options.Value.MaxAttempts);
        var deadline = options.Value.DeadlineOf(request.Platform);
        for (var attempt = 1; ; attempt++)
        {
            if (lease.CancelledByRequest) return Outcome(JobHookOutcome.Failed, "cancelled: the root job was cancelled", attempt - 1);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(lease.Token);
            timeout.CancelAfter(deadline);
            try
            {
                var result = await hook.RunAsync(new HookContext(request, index, call.Settings, attempt, redis, databases.For(request.Platform), logger, timeout.Token));
                if (result.SkipReason is { } reason)
                {
                    return request.Phase == JobHooks.Pre
                        ? Outcome(JobHookOutcome.Skipped, reason, attempt)
                        : Outcome(JobHookOutcome.Failed, $"a post hook cannot skip the job (it asked to: {reason})", attempt);
                }

                logger.LogInformation("{Phase} hook {Index} '{Hook}' succeeded (attempt {Attempt})", request.Phase, index, call.Name, attempt);
                return Outcome(JobHookOutcome.Succeeded, null, attempt);
            }
            catch (OperationCanceledException) when (lease.CancelledByRequest)
            {
                return Outcome(JobHookOutcome.Failed, "cancelled while running: the root job was cancelled", attempt);
            }
            catch (OperationCanceledException) when (lease.Token.IsCancellationRequested)
            {
                throw; // The process is stopping: the message is redelivered and the phase runs again.
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return Outcome(JobHookOutcome.Failed, $"timed out: stopped at its deadline of {deadline}", attempt);
            }
            catch (Exception ex) when (ex is not HookFailedException && attempt < maxAttempts)
            {
                logger.LogWarning("{Phase} hook '{Hook}' failed on attempt {Attempt} of {MaxAttempts}: {Error}; retrying", request.Phase, call.Name, attempt,
                    maxAttempts, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt - 1)), lease.Token);
            }
            catch (Exception ex)
            {
                return Outcome(JobHookOutcome.Failed, ex is HookFailedException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}", attempt);
            }
        }
    }
}
