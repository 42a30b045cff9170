using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace Jobs.Integrator.ReadModel;

/// <summary>A root job as the Integrator last wrote it: status (a <c>JobStatus</c> name), counts, times and why it failed.</summary>
/// <param name="Failure">Set once a child whose failure fails the root failed (a required task, or any under <c>fail_fast</c>).</param>
/// <param name="Hooks">The hook runs of the root so far: its pre hooks once they ran, then its post hooks.</param>
/// <param name="HookError">The error of the first post hook that failed (the status and counts are the job's own).</param>
public sealed record RootJobView(
    string Status,
    string Platform,
    string? Schedule,
    long Total,
    long Completed,
    long Failed,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    Guid? RetryOf,
    string? Failure,
    string? FailurePolicy,
    IReadOnlyList<HookRunView>? Hooks = null,
    string? HookError = null);

/// <summary>
/// One hook run of a root (a tracked step): its phase (<c>pre</c>, <c>post</c>), place in the phase's list, hook name, status
/// (<c>succeeded</c>, <c>failed</c>, <c>skipped</c>), error (or why it skipped the job), attempts and times.
/// </summary>
public sealed record HookRunView(string Phase, int Index, string Name, string Status, string? Error, int Attempts, DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt);

/// <summary>What a batch of children needs to know of its root before it runs.</summary>
/// <param name="TaskHooks">The root's task hooks as the saga recorded them at its start (a JSON list of the shared <c>TaskHook</c>), or null.</param>
/// <param name="Schedule">The schedule that started the root, or null; read with its task hooks for them.</param>
/// <param name="StartedAt">When the root started, or null when it has not.</param>
public sealed record RootJobGate(
    string? Status, string? Failure, string? FailurePolicy, string? TaskHooks = null, string? Schedule = null, DateTimeOffset? StartedAt = null);

/// <summary>
/// The Integrator's root job read model, for every other service: readers only (the layout is internal, so nobody else
/// can write it). A root exists here from the moment the Integrator starts it.
/// </summary>
public static class RootJobReader
{
    /// <summary>
    /// The Integrator publishes a root's id (32 hex digits) here once the root's final status is in the read model, so a
    /// client waiting for the end answers at once instead of polling. Pub/sub keeps nothing: a waiter that may have missed
    /// it reads the status again when its wait is over.
    /// </summary>
    public static RedisChannel EndedChannel { get; } = RedisChannel.Literal(RootJobKeys.EndedChannel);

    /// <summary>The root an <see cref="EndedChannel"/> message names.</summary>
    public static Guid? EndedRoot(RedisValue message) => Guid.TryParseExact(message.ToString(), "N", out var id) ? id : null;

    /// <summary>The root job, or null when the Integrator has not started it (or there is no such job).</summary>
    public static async Task<RootJobView?> GetAsync(IDatabaseAsync redis, Guid rootJobId)
    {
        var fields = (await redis.HashGetAllAsync(RootJobKeys.Key(rootJobId))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        if (!fields.TryGetValue(RootJobKeys.Status, out var status)) return null;
        return new RootJobView(
            status,
            fields.GetValueOrDefault(RootJobKeys.Platform, ""),
            fields.GetValueOrDefault(RootJobKeys.Schedule) is { Length: > 0 } schedule ? schedule : null,
            Number(fields, RootJobKeys.Total),
            Number(fields, RootJobKeys.Completed),
            Number(fields, RootJobKeys.Failed),
            Time(fields, RootJobKeys.StartedAt),
            Time(fields, RootJobKeys.FinishedAt),
            fields.GetValueOrDefault(RootJobKeys.Error),
            fields.TryGetValue(RootJobKeys.RetryOf, out var retryOf) && Guid.TryParse(retryOf, out var original) ? original : null,
            fields.GetValueOrDefault(RootJobKeys.Failure),
            fields.GetValueOrDefault(RootJobKeys.FailurePolicy),
            HookRuns(fields),
            fields.GetValueOrDefault(RootJobKeys.HookError));
    }

    /// <summary>When the last successful root (Completed or CompletedWithFailures) of <paramref name="platform"/> ended, or null when none did.</summary>
    public static async Task<DateTimeOffset?> LastSucceededAsync(IDatabaseAsync redis, string platform) =>
        await redis.SortedSetScoreAsync(RootJobKeys.LastSucceededKey, platform) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static List<HookRunView> HookRuns(Dictionary<string, string> fields) =>
        [.. new[] { RootJobKeys.PreHooks, RootJobKeys.PostHooks }
            .SelectMany(f => fields.TryGetValue(f, out var json) ? JsonSerializer.Deserialize<List<HookRunView>>(json, Json) ?? [] : [])];

    /// <summary>The root's status, or null when it has not been started.</summary>
    public static async Task<string?> StatusAsync(IDatabaseAsync redis, Guid rootJobId) =>
        (string?)await redis.HashGetAsync(RootJobKeys.Key(rootJobId), RootJobKeys.Status);

    /// <summary>Why the root fails whatever its counts (a required task or a child under <c>fail_fast</c> failed), or null.</summary>
    public static async Task<string?> FailureAsync(IDatabaseAsync redis, Guid rootJobId) =>
        (string?)await redis.HashGetAsync(RootJobKeys.Key(rootJobId), RootJobKeys.Failure);

    /// <summary>Status, failure, failure policy and task hooks in one read; usable inside a caller's transaction or batch (one round trip).</summary>
    public static async Task<RootJobGate> GateAsync(IDatabaseAsync redis, Guid rootJobId)
    {
        var fields = await redis.HashGetAsync(RootJobKeys.Key(rootJobId),
            [RootJobKeys.Status, RootJobKeys.Failure, RootJobKeys.FailurePolicy, RootJobKeys.TaskHooks, RootJobKeys.Schedule, RootJobKeys.StartedAt]);
        var schedule = (string?)fields[4];
        return new RootJobGate((string?)fields[0], (string?)fields[1], (string?)fields[2], (string?)fields[3], string.IsNullOrEmpty(schedule) ? null : schedule,
            DateTimeOffset.TryParse((string?)fields[5], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var started) ? started : null);
    }

    private static long Number(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) && long.TryParse(value, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static DateTimeOffset? Time(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t)
            ? t
            : null;
}
