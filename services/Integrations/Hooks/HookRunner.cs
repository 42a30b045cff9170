using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Platforms;
using Jobs.Plugins;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Hooks;

/// <summary>
/// Runs one hook of a job once, as a step: retried under the platform's policy (<c>Integrations:MaxAttempts</c>, with backoff), stopped at
/// the platform's deadline (<c>Integrations:ChildDeadline</c> / <c>Deadlines</c>), cancelled with its root. Used for the job's own hooks
/// (<see cref="RunJobHooksConsumer"/>) and for task hooks around a child's run (<see cref="ChildJobRunner"/>). A hook this process does not
/// define (the catalog changed since submit) fails with that reason.
/// </summary>
public sealed class HookRunner(
    IEnumerable<IJobHook> hooks, IConnectionMultiplexer redis, PlatformDatabases databases, IOptions<IntegrationsOptions> options, ILogger<HookRunner> logger)
{
    // With the phases each may run in, described once (a descriptor is built from the hook's settings type).
    private readonly Dictionary<string, (IJobHook Hook, IReadOnlyList<string> Phases)> _hooks =
        hooks.ToDictionary(h => h.Name, h => (h, h.Describe().Phases), StringComparer.Ordinal);

    /// <summary>
    /// Runs <c>request.Hooks[index]</c>; <paramref name="task"/> is the task run a task hook wraps, <paramref name="shownIndex"/> the hook's place
    /// in its phase's list of the job's settings when that is not <paramref name="index"/> (a task hook).
    /// </summary>
    public async Task<JobHookOutcome> RunAsync(RunJobHooks request, int index, RunningJobs.Lease lease, HookTaskRun? task = null, int? shownIndex = null)
    {
        var call = request.Hooks[index];
        var place = shownIndex ?? index;
        var startedAt = DateTimeOffset.UtcNow;
        JobHookOutcome Outcome(string status, string? error, int attempts) => new(place, call.Name, status, error, attempts, startedAt, DateTimeOffset.UtcNow);
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
                var result = await hook.RunAsync(new HookContext(request, place, call.Settings, attempt, redis, databases.For(request.Platform), logger,
                    timeout.Token, task));
                if (result.SkipReason is { } reason)
                {
                    return request.Phase == JobHooks.Pre
                        ? Outcome(JobHookOutcome.Skipped, reason, attempt)
                        : Outcome(JobHookOutcome.Failed, $"a post hook cannot skip the job (it asked to: {reason})", attempt);
                }

                logger.LogInformation("{Phase} hook {Index} '{Hook}'{Task} succeeded (attempt {Attempt})", request.Phase, place, call.Name,
                    task is null ? "" : $" of task {task.Task} {task.ChildJobId}", attempt);
                return Outcome(JobHookOutcome.Succeeded, null, attempt);
            }
            catch (OperationCanceledException) when (lease.CancelledByRequest)
            {
                return Outcome(JobHookOutcome.Failed, "cancelled while running: the root job was cancelled", attempt);
            }
            catch (OperationCanceledException) when (lease.Token.IsCancellationRequested)
            {
                throw; // The process is stopping: the message is redelivered and the hook runs again.
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
