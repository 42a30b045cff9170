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
    public const string Error = "error";
    public const string RetryOf = "retryOf";
    public const string FailurePolicy = "failurePolicy";
    public const string Failure = "failure";

    /// <summary>Set (once) by the Integrator with the root's first final status, so the root's end is counted in its metrics once.</summary>
    public const string EndCounted = "endCounted";
}
