using Jobs.Integrator.ReadModel;
using Jobs.Integrations.Hooks;
using Jobs.Platforms;
using System.Text.Json;
using Jobs.JobTree;
using System.Diagnostics;
using Jobs.Contracts;
using Jobs.Plugins.Http;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

using Jobs.Plugins;
using JobContext = Jobs.Plugins.JobContext;

namespace Jobs.Integrations.Hosting;

/// <summary>What one run produced: its outcome and the messages carrying the children it spawned (not sent yet).</summary>
public sealed record ChildRun(ChildJobOutcome Outcome, IReadOnlyList<RunChildJobs> Spawned);

/// <summary>
/// What one delivered batch produced: every job run (the batch's own children, then any run inline), their outcomes in the
/// same order, and the messages carrying the children left to send.
/// </summary>
public sealed record BatchRun(IReadOnlyList<ChildJob> Jobs, IReadOnlyList<ChildJobOutcome> Outcomes, IReadOnlyList<RunChildJobs> Spawned);

/// <summary>A root's task hooks (run around the runs of their tasks), with what a hook is told of the root.</summary>
public sealed record RootTaskHooks(IReadOnlyList<TaskHook> Hooks, string? Schedule, DateTimeOffset StartedAt);

/// <summary>Runs one child job through its plugin, with retries, and sends the children it spawned.</summary>
public sealed class ChildJobRunner(
    IntegrationRegistry registry,
    RunningJobs running,
    IConnectionMultiplexer redis,
    NpgsqlDataSource postgres,
    IOptions<IntegrationsOptions> options,
    ILogger<ChildJobRunner> logger,
    PoliteHttpFactory? http = null,
    IOptions<TracingOptions>? tracing = null,
    PlatformDatabases? databases = null,
    HookRunner? hooks = null)
{
    private readonly double _childSpanRatio = tracing?.Value.ChildSpanRatio ?? 0;

    private readonly RunReports _reports = new(redis);

    /// <summary>The error of a child stopped while it ran because its root failed.</summary>
    public const string StoppedRootFailed = "stopped while running: the root job failed";

    /// <summary>Runs the job and sends the children it spawned.</summary>
    public async Task<ChildJobOutcome> RunAsync(Guid rootJobId, string platform, ChildJob job, ISendEndpointProvider sender,
        CancellationToken cancellationToken)
    {
        var run = await ExecuteAsync(rootJobId, platform, job, cancellationToken);
        await SendAsync(sender, platform, run.Spawned);
        return run.Outcome;
    }

    /// <summary>
    /// Sends spawned children, to the platform's bulk queue or, when <paramref name="interactive"/>, to its interactive one. The caller
    /// may publish the parent's outcome at the same time: the incoming message is acknowledged only after both are confirmed, and a
    /// redelivery re-sends the same child ids.
    /// </summary>
    public static async Task SendAsync(ISendEndpointProvider sender, string platform, IReadOnlyList<RunChildJobs> spawned, bool interactive = false)
    {
        if (spawned.Count == 0) return;
        var endpoint = await sender.GetSendEndpoint(IntegrationQueues.For(platform, interactive));
        // A few sends in flight at a time, each batch built as it goes: a million spawned children are never all in memory as
        // messages at once (only the run's list of tasks and settings is).
        var sending = new List<Task>(SendsInFlight);
        foreach (var message in spawned)
        {
            sending.Add(endpoint.Send(message));
            if (sending.Count < SendsInFlight) continue;
            var sent = await Task.WhenAny(sending);
            sending.Remove(sent);
            await sent;
        }

        await Task.WhenAll(sending);
    }

    /// <summary>Batches of spawned children being sent (and confirmed) at once.</summary>
    public const int SendsInFlight = 32;

    /// <summary>
    /// Runs a delivered batch: its children in parallel (up to <see cref="IntegrationsOptions.ParallelChildrenPerMessage"/>),
    /// then, while the children they spawn number no more than what is left of <see cref="IntegrationsOptions.InlineChildren"/>,
    /// those as well, in this same delivery: a small spawn costs no round trip through the broker. A bigger spawn is returned
    /// to be sent to the platform's queue, where every process of the platform shares it. Every outcome is reported
    /// together, so a redelivery runs the inline children again under the same ids and nothing counts twice.
    /// <para>
    /// A failed child that fails its root (a required task of the integration, or any child when <paramref name="failFast"/>)
    /// stops the root's other children in this process at once, as a cancellation does: running ones see their token fire,
    /// the rest of the batch is not started. The Integrator fails the root when the outcome reaches it, and every process stops.
    /// </para>
    /// </summary>
    /// <param name="root">The root as the batch's gate read it: its task hooks run around the runs of their tasks.</param>
    public async Task<BatchRun> RunBatchAsync(RunChildJobs batch, CancellationToken cancellationToken, bool failFast = false, RootJobGate? root = null)
    {
        var taskHooks = TaskHooksOf(batch, root);
        var jobs = new List<ChildJob>(batch.Children.Count);
        var outcomes = new List<ChildJobOutcome>(batch.Children.Count);
        var inlineLeft = Math.Max(0, options.Value.InlineChildren);
        IReadOnlyList<ChildJob> next = batch.Children;
        while (true)
        {
            var runs = await RunAllAsync(batch.RootJobId, batch.Platform, next, failFast, taskHooks, cancellationToken);
            jobs.AddRange(next);
            outcomes.AddRange(runs.Select(r => r.Outcome));
            var spawned = SpawnedBatches.Concat(runs.Select(r => r.Spawned));
            var count = SpawnedBatches.ChildrenIn(spawned);
            if (count == 0 || count > inlineLeft) return new BatchRun(jobs, outcomes, spawned);
            inlineLeft -= count;
            next = spawned.SelectMany(s => s.Children).ToList();
        }
    }

    private async Task<ChildRun[]> RunAllAsync(Guid rootJobId, string platform, IReadOnlyList<ChildJob> jobs, bool failFast, RootTaskHooks? taskHooks,
        CancellationToken cancellationToken)
    {
        var runs = new ChildRun[jobs.Count];
        var required = registry.Find(platform)?.RequiredTasks ?? [];
        async Task RunAsync(int i)
        {
            runs[i] = await ExecuteAsync(rootJobId, platform, jobs[i], cancellationToken, taskHooks);
            var outcome = runs[i].Outcome;
            if (outcome.Succeeded || outcome.StoppedByRoot || !(failFast || required.Contains(outcome.Task))) return;
            logger.LogWarning("Task {Task} of {ChildJobId} failed the root job{Policy}; stopping its other children here", outcome.Task, outcome.ChildJobId,
                failFast ? " (failure policy fail_fast)" : " (a required task)");
            running.Cancel(rootJobId, failed: true);
        }

        if (runs.Length == 1)
        {
            await RunAsync(0);
            return runs;
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, runs.Length),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.ParallelChildrenPerMessage) },
            async (i, _) => await RunAsync(i));
        return runs;
    }

    /// <summary>
    /// Runs the job through its plugin (with retries), inside the task hooks of its task when <paramref name="taskHooks"/> has any (see
    /// <see cref="RunTaskHooksAsync"/>); the children it spawned are returned, not sent.
    /// </summary>
    public async Task<ChildRun> ExecuteAsync(Guid rootJobId, string platform, ChildJob job, CancellationToken cancellationToken,
        RootTaskHooks? taskHooks = null)
    {
        var startedAt = DateTimeOffset.UtcNow;
        // A span per child only for the share Tracing:ChildSpanRatio asks for; the batch's span counts them all.
        using var span = JobTracing.SamplesChild(job.ChildJobId, _childSpanRatio) ? JobTracing.Source.StartActivity("child " + job.Task) : null;
        span?.SetTag(JobTracing.RootJobId, rootJobId.ToString()).SetTag(JobTracing.ChildJobId, job.ChildJobId.ToString())
            .SetTag(JobTracing.TaskName, job.Task).SetTag(JobTracing.Generation, job.Generation);
        using var scope = logger.BeginJobScope(rootJobId, job.ChildJobId);
        ChildRun Outcome(bool ok, string? error, int attempts, IReadOnlyList<RunChildJobs>? spawned = null, int count = 0,
            ContinuationJob? continuation = null, IReadOnlyList<DataMeasurement>? measurements = null, bool stopped = false) =>
            Traced(span, new(new ChildJobOutcome(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation, job.Task, ok, error, count, continuation, attempts, startedAt,
                DateTimeOffset.UtcNow, measurements is { Count: > 0 } ? measurements : null, stopped), spawned ?? []));

        var integration = registry.Find(platform);
        if (integration is null)
        {
            logger.LogError("Platform {Platform} is not hosted by this process; failing child", platform);
            return Outcome(false, $"platform '{platform}' is not hosted by this Integrations process", 0);
        }

        var maxAttempts = Math.Max(1, options.Value.MaxAttempts);
        var deadline = options.Value.DeadlineOf(platform);
        using var lease = running.Enter(rootJobId, cancellationToken);
        if (lease.CancelledByRequest)
            return Outcome(false, lease.RootFailed ? FailurePolicy.NotStartedError : RunChildJobsConsumer.CancelledBeforeStart, 0, stopped: true);
        var pre = taskHooks?.Hooks.Where(h => h.Task == job.Task && h.Phase == JobHooks.Pre).ToList() ?? [];
        var post = taskHooks?.Hooks.Where(h => h.Task == job.Task && h.Phase == JobHooks.Post).ToList() ?? [];
        if (pre.Count > 0)
        {
            var (stop, skipped) = await RunTaskHooksAsync(rootJobId, platform, job, JobHooks.Pre, pre, taskHooks!, lease, null);
            if (skipped is not null)
            {
                logger.LogInformation("Task {Task} skipped by its pre hook: {Reason}", job.Task, skipped);
                return Outcome(true, null, 0);
            }

            if (stop is not null) return Outcome(false, stop, 0, stopped: lease.CancelledByRequest);
        }

        var ran = await RunAttemptsAsync();
        if (post.Count == 0 || ran.Outcome.StoppedByRoot) return ran;
        var done = ran.Outcome;
        var (failed, _) = await RunTaskHooksAsync(rootJobId, platform, job, JobHooks.Post, post, taskHooks!, lease,
            new HookTaskRun(job.ChildJobId, job.ParentJobId, job.Generation, job.Task, job.Settings, done.Succeeded, done.Spawned, done.Error, done.Attempts));
        if (failed is null) return ran;
        // A failing post hook fails the child: nothing it spawned runs, its error says which hook (after the run's own error, if it had one).
        return Outcome(false, done.Error is null ? failed : $"{done.Error}; {failed}", done.Attempts, stopped: lease.CancelledByRequest);

        async Task<ChildRun> RunAttemptsAsync()
        {
            // Runs that met a store outage (PostgreSQL or Redis restarting): run again with back-off for TransientRetry.Step, not
            // counted against MaxAttempts (a run must be repeatable: plugins spawn and write deterministically).
            var outageRetries = 0;
            var firstRun = Stopwatch.GetTimestamp();
            for (var attempt = 1; ; attempt++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(lease.Token);
                timeout.CancelAfter(deadline);
                // The platform's own database role (PlatformDatabases); the given data source where none is registered (in-process tests).
                var context = new JobContext(rootJobId, job, _reports, redis, databases?.For(platform) ?? postgres, logger, timeout.Token, http?.For(platform));
                try
                {
                    // On the pool, so even a run that blocks before its first await hands back a task to wait for.
                    var run = Task.Run(() => job.Task == IntegrationTasks.RetryFailed ? ChildDefinitions.SpawnAgainAsync(context) : integration.RunAsync(context),
                        CancellationToken.None);
                    if (!await ReturnsInTimeAsync(run, timeout.Token))
                    {
                        Abandon(run, platform);
                        if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
                        logger.LogError("Task {Task} abandoned: it did not return {Grace} after its cancellation (deadline {Deadline})", job.Task,
                            options.Value.AbandonGrace, deadline);
                        return Outcome(false, lease.CancelledByRequest
                            ? $"abandoned after the root job was cancelled: the run ignored cancellation for {Describe(options.Value.AbandonGrace)}"
                            : $"abandoned after its deadline of {Describe(deadline)}: the run ignored cancellation", attempt);
                    }

                    await run;
                }
                catch (OperationCanceledException) when (lease.CancelledByRequest)
                {
                    logger.LogInformation("Task {Task} stopped: the root job was {Why}", job.Task, lease.RootFailed ? "failed" : "cancelled");
                    return Outcome(false, lease.RootFailed ? StoppedRootFailed : "cancelled while running", attempt, stopped: true);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    logger.LogWarning("Task {Task} stopped at its deadline of {Deadline}", job.Task, deadline);
                    return Outcome(false, $"timed out: stopped at its deadline of {Describe(deadline)} (Integrations:ChildDeadline / Deadlines)", attempt);
                }
                catch (Exception ex) when (TransientFaults.IsStoreOutage(ex) && Stopwatch.GetElapsedTime(firstRun) < TransientRetry.Step.Limit)
                {
                    outageRetries++;
                    var delay = TransientRetry.Step.DelayBefore(outageRetries);
                    logger.LogWarning("Task {Task} met a store outage ({Error}); running it again in {Delay:0.0} s", job.Task, ex.Message, delay.TotalSeconds);
                    if (ex is Npgsql.NpgsqlException) Npgsql.NpgsqlConnection.ClearAllPools();
                    await Task.Delay(delay, cancellationToken);
                    continue;
                }
                catch (Exception ex) when (attempt - outageRetries < maxAttempts)
                {
                    logger.LogWarning(ex, "Task {Task} failed on attempt {Attempt} of {MaxAttempts}; retrying", job.Task, attempt, maxAttempts);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt - 1)), cancellationToken);
                    continue;
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Task {Task} failed after {Attempts} attempt(s): {Error}", job.Task, attempt, ex.Message);
                    return Outcome(false, $"{ex.GetType().Name}: {ex.Message}", attempt);
                }

                return Outcome(true, null, attempt, Batches(rootJobId, platform, job, context), context.Children.Count, context.Continuation,
                    context.Measurements);
            }
        }
    }

    /// <summary>
    /// Runs the task hooks of one phase around a child's run, in order, each as a step (<see cref="HookRunner"/>): the first that does not
    /// succeed stops them. Returns the error that fails the child (a hook failed, or no hook runner is registered), or, from a pre hook, why it
    /// skipped the run.
    /// </summary>
    private async Task<(string? Failure, string? Skipped)> RunTaskHooksAsync(Guid rootJobId, string platform, ChildJob job, string phase,
        IReadOnlyList<TaskHook> phaseHooks, RootTaskHooks root, RunningJobs.Lease lease, HookTaskRun? outcome)
    {
        if (hooks is null) return ($"{phase} hooks of task {job.Task}: no hook runner is registered in this process", null);
        var request = new RunJobHooks(rootJobId, platform, root.Schedule, phase, phaseHooks.Select(h => new HookCall(h.Name, h.Settings)).ToList(),
            root.StartedAt, null);
        var run = outcome ?? new HookTaskRun(job.ChildJobId, job.ParentJobId, job.Generation, job.Task, job.Settings);
        for (var i = 0; i < phaseHooks.Count; i++)
        {
            var result = await hooks.RunAsync(request, i, lease, run, shownIndex: phaseHooks[i].Index);
            RunMetrics.TaskHooks.WithLabels(platform, phase, phaseHooks[i].Name, result.Status).Inc();
            if (result.Status == JobHookOutcome.Skipped) return (null, result.Error);
            if (result.Status != JobHookOutcome.Succeeded)
                return ($"{phase} hook {phaseHooks[i].Index} '{phaseHooks[i].Name}' of task {job.Task} failed after {result.Attempts} attempt(s): {result.Error}", null);
        }

        return (null, null);
    }

    /// <summary>The root's task hooks, as its gate read them; null when it has none (or they cannot be read: the saga writes them, checked).</summary>
    private RootTaskHooks? TaskHooksOf(RunChildJobs batch, RootJobGate? root)
    {
        if (root?.TaskHooks is not { Length: > 0 } json) return null;
        try
        {
            var list = JsonSerializer.Deserialize<List<TaskHook>>(json);
            return list is { Count: > 0 } ? new RootTaskHooks(list, root.Schedule, root.StartedAt ?? DateTimeOffset.UtcNow) : null;
        }
        catch (JsonException ex)
        {
            logger.LogError("Root job {RootJobId}: its task hooks cannot be read ({Error}); its children run without them", batch.RootJobId, ex.Message);
            return null;
        }
    }

    private static ChildRun Traced(Activity? span, ChildRun run)
    {
        if (span is null) return run;
        span.SetTag(JobTracing.Spawned, run.Outcome.Spawned).SetTag("jobs.attempts", run.Outcome.Attempts);
        if (!run.Outcome.Succeeded) span.SetStatus(ActivityStatusCode.Error, run.Outcome.Error);
        return run;
    }

    /// <summary>
    /// Waits for the run; once its token fires (deadline, cancelled root, stopping host) waits <see cref="IntegrationsOptions.AbandonGrace"/>
    /// more. False when the run has still not returned: it ignores cancellation.
    /// </summary>
    private async Task<bool> ReturnsInTimeAsync(Task run, CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (token.Register(() => cancelled.TrySetResult()))
        {
            if (await Task.WhenAny(run, cancelled.Task) == run) return true;
        }

        using var grace = new CancellationTokenSource();
        var first = await Task.WhenAny(run, Task.Delay(options.Value.AbandonGrace, grace.Token));
        await grace.CancelAsync();
        return first == run;
    }

    /// <summary>Lets go of a run that ignores cancellation: it is counted until it returns, if ever, and its failure observed then.</summary>
    private static void Abandon(Task run, string platform)
    {
        RunMetrics.Abandoned.WithLabels(platform).Inc();
        RunMetrics.AbandonedRunning.WithLabels(platform).Inc();
        _ = run.ContinueWith(t =>
        {
            _ = t.Exception;
            RunMetrics.AbandonedRunning.WithLabels(platform).Dec();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static string Describe(TimeSpan span) => span.ToString(span.TotalDays >= 1 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss\.FFF", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('.');

    /// <summary>The spawned children as messages, each built when read; ids and groups come from <see cref="TreeRules"/>.</summary>
    private static SpawnedBatches Batches(Guid rootJobId, string platform, ChildJob parent, JobContext context)
    {
        var children = context.Children;
        var continued = context.Continuation is not null;
        return new SpawnedBatches((children.Count + JobLimits.MaxChildrenPerMessage - 1) / JobLimits.MaxChildrenPerMessage, children.Count, index =>
        {
            var start = index * JobLimits.MaxChildrenPerMessage;
            var batch = new List<ChildJob>(Math.Min(JobLimits.MaxChildrenPerMessage, children.Count - start));
            for (var i = start; i < Math.Min(start + JobLimits.MaxChildrenPerMessage, children.Count); i++)
            {
                var (task, settings) = children[i];
                batch.Add(TreeRules.Child(parent.ChildJobId, parent.GroupId, parent.Generation, continued, i, task, settings));
            }

            return new RunChildJobs(rootJobId, platform, batch);
        });
    }
}

/// <summary>
/// A run's spawned children as <see cref="RunChildJobs"/> messages, each built when it is read (the same ids every time): a run that
/// spawns a million children holds their tasks and settings, not ten thousand messages.
/// </summary>
public sealed class SpawnedBatches(int count, int children, Func<int, RunChildJobs> build) : IReadOnlyList<RunChildJobs>
{
    /// <summary>The children in all the batches.</summary>
    public int Children => children;

    public int Count => count;

    public RunChildJobs this[int index] => (uint)index < (uint)count ? build(index) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<RunChildJobs> GetEnumerator()
    {
        for (var i = 0; i < count; i++) yield return build(i);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The children in <paramref name="batches"/>, without building them when they are spawned ones.</summary>
    public static int ChildrenIn(IReadOnlyList<RunChildJobs> batches) => batches is SpawnedBatches spawned ? spawned.Children : batches.Sum(b => b.Children.Count);

    /// <summary>Several runs' batches one after the other, still built when read.</summary>
    public static IReadOnlyList<RunChildJobs> Concat(IEnumerable<IReadOnlyList<RunChildJobs>> parts)
    {
        var nonEmpty = parts.Where(p => p.Count > 0).ToList();
        if (nonEmpty.Count <= 1) return nonEmpty.Count == 0 ? [] : nonEmpty[0];
        var starts = new int[nonEmpty.Count];
        for (var i = 1; i < nonEmpty.Count; i++) starts[i] = starts[i - 1] + nonEmpty[i - 1].Count;
        return new SpawnedBatches(starts[^1] + nonEmpty[^1].Count, nonEmpty.Sum(ChildrenIn), index =>
        {
            var part = Array.BinarySearch(starts, index);
            // Between two starts: the part that begins before it (parts are non-empty, so starts are distinct).
            if (part < 0) part = ~part - 1;
            return nonEmpty[part][index - starts[part]];
        });
    }
}
