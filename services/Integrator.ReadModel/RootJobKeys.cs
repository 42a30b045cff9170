namespace Jobs.Integrator.ReadModel;

/// <summary>
/// The root job read model's layout in Redis: a hash per root, written by the Integrator alone (the ledger's counters and
/// the saga's status). Internal: other services read it through <see cref="RootJobReader"/> and cannot write it.
/// All keys carry the root's hash tag (<c>{id}</c>), so a root's keys live in one Redis Cluster slot.
/// </summary>
internal static class RootJobKeys
{
    public static string Key(Guid rootJobId) => $"job:{{{rootJobId:N}}}";

    /// <summary>Per child id: how many times the Integrator re-sent it after a timeout.</summary>
    public static string TimeoutRetriesKey(Guid rootJobId) => Key(rootJobId) + ":timeout-retries";

    /// <summary>The timeout retry counts are kept this long after their last write.</summary>
    public static readonly TimeSpan DetailsLifetime = TimeSpan.FromDays(7);

    public const string EndedChannel = "jobs:ended";

    public const string Platform = "platform";
    public const string Status = "status";
    public const string Schedule = "schedule";
    public const string Total = "total";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string StartedAt = "startedAt";
    public const string FinishedAt = "finishedAt";
    /// <summary>The error a root ended with (the saga's reason), as the read model shows it.</summary>
    public const string Error = "error";

    /// <summary>
    /// The entry run's error, recorded by the ledger when the entry fails. Its own field: the saga's reason written to
    /// <see cref="Error"/> when the root ends must never be read back as the entry's error by a batch counted at the same time.
    /// </summary>
    public const string EntryError = "entryError";
    public const string RetryOf = "retryOf";
    public const string FailurePolicy = "failurePolicy";
    public const string Failure = "failure";

    /// <summary>The root's pre hook runs (JSON list of <see cref="HookRunView"/>), once they have run.</summary>
    public const string PreHooks = "hooks:pre";

    /// <summary>The root's post hook runs, once they have run.</summary>
    public const string PostHooks = "hooks:post";

    /// <summary>The root's task hooks (a JSON list of the shared TaskHook records), written at its start when it has any.</summary>
    public const string TaskHooks = "hooks:tasks";

    /// <summary>The error of the first post hook that failed: the job keeps its status and counts, marked with it.</summary>
    public const string HookError = "hookError";

    /// <summary>Sorted set: per platform (member), when its last successful root ended (score: unix milliseconds, only ever raised).</summary>
    public const string LastSucceededKey = "platforms:last-succeeded";

    /// <summary>Set (once) by the Integrator with the root's first final status, so the root's end is counted in its metrics once.</summary>
    public const string EndCounted = "endCounted";
}
