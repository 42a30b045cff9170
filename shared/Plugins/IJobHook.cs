using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Plugins;

/// <summary>
/// A function a job may run before its entry run (<c>pre</c>) or once it has its final counts (<c>post</c>): named, with typed settings
/// whose schema <c>GET /hooks</c> shows. Implement <see cref="JobHook{TSettings}"/> rather than this; register it with
/// <see cref="PluginBuilder.AddHook{THook}"/>. A job naming a hook no Integrations process defines is refused at submit.
/// </summary>
public interface IJobHook
{
    /// <summary>The name jobs use in <c>hooks.pre[i].name</c> / <c>hooks.post[i].name</c>.</summary>
    string Name { get; }

    HookDescriptor Describe();

    /// <summary>
    /// Runs the hook once. A thrown exception is a failed attempt (retried under the platform's policy, <c>Integrations:MaxAttempts</c>);
    /// <see cref="HookResult.Skip"/> from a pre hook ends the job at once without running it.
    /// </summary>
    Task<HookResult> RunAsync(HookContext context);
}

/// <summary>A hook with typed settings; its schema comes from <typeparamref name="TSettings"/>.</summary>
public abstract class JobHook<TSettings> : IJobHook where TSettings : class, new()
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>The phases the hook may be listed in (both by default).</summary>
    public virtual IReadOnlyList<string> Phases => JobHooks.Phases;

    public virtual HookDescriptor Describe() => new(Name, Description, Phases, SettingsSchema.For<TSettings>());

    public Task<HookResult> RunAsync(HookContext context) =>
        RunAsync(context, context.Settings.Deserialize<TSettings>(SettingsJson.Options) ?? new TSettings());

    protected abstract Task<HookResult> RunAsync(HookContext context, TSettings settings);
}

/// <summary>What a hook run ended with when it did not throw: done, or (a pre hook) the job is skipped for <see cref="Reason"/>.</summary>
public sealed record HookResult(string? SkipReason)
{
    public static HookResult Done { get; } = new((string?)null);

    /// <summary>The job need not run (a pre hook only): it ends Completed with no child run, the hook listed as skipped with the reason.</summary>
    public static HookResult Skip(string reason) => new(reason);
}

/// <summary>
/// What a hook gets for one run: the job it runs for, its phase and place, its settings, the job's outcome (post hooks), the task run it
/// wraps (task hooks) and the stores.
/// </summary>
public sealed class HookContext(
    RunJobHooks request, int index, JsonElement settings, int attempt, IConnectionMultiplexer redis, NpgsqlDataSource postgres, ILogger logger,
    CancellationToken cancellationToken, HookTaskRun? task = null)
{
    public Guid RootJobId => request.RootJobId;

    public string Platform => request.Platform;

    public string? Schedule => request.Schedule;

    /// <summary><c>pre</c> or <c>post</c>.</summary>
    public string Phase => request.Phase;

    /// <summary>The hook's place in its phase's list (0-based).</summary>
    public int Index { get; } = index;

    public JsonElement Settings { get; } = settings;

    /// <summary>1 for the first attempt of this run.</summary>
    public int Attempt { get; } = attempt;

    public DateTimeOffset JobStartedAt => request.StartedAt;

    /// <summary>The job's final status and counts: set for the job's post hooks, null for pre hooks and task hooks.</summary>
    public HookJobOutcome? Outcome => request.Outcome;

    /// <summary>The run of a task this hook wraps (a task hook: <c>hooks.pre[i].task</c>), with its outcome for a post hook; null for the job's own hooks.</summary>
    public HookTaskRun? Task { get; } = task;

    /// <summary>
    /// The same for every attempt and every redelivery of this hook of this job (or of this task run: a receiver can drop what it already
    /// has): derived from the root job id (the child job id for a task hook), the phase and the index.
    /// </summary>
    public Guid DeliveryId => Jobs.JobTree.JobIds.Hook(Task?.ChildJobId ?? request.RootJobId, request.Phase == JobHooks.Post, Index);

    public IDatabase Redis => redis.GetDatabase();

    /// <summary>The job's platform's own database role (the role its runs use).</summary>
    public NpgsqlDataSource Postgres { get; } = postgres;

    /// <summary>A logger whose scope carries RootJobId.</summary>
    public ILogger Logger { get; } = logger;

    public CancellationToken CancellationToken { get; } = cancellationToken;
}

/// <summary>
/// The task run a task hook wraps: the child job, its task and settings, and (post hooks) how the run ended: <see cref="Succeeded"/>, the
/// children it spawned, its error and attempts.
/// </summary>
public sealed record HookTaskRun(
    Guid ChildJobId, Guid ParentJobId, int Generation, string Task, JsonElement Settings, bool? Succeeded = null, int? Spawned = null, string? Error = null,
    int? Attempts = null);

/// <summary>A hook's run failed for good (it already retried what it could, or retrying cannot help): not attempted again.</summary>
public sealed class HookFailedException(string message, Exception? inner = null) : Exception(message, inner);
