namespace Jobs.Contracts;

/// <summary>
/// The root job read model: a Redis hash written by the Integrator (ledger counters and saga status) and
/// read by Reporting. Key and field names are part of the contract between the two.
/// </summary>
public static class JobState
{
    public static string Key(Guid rootJobId) => $"job:{{{rootJobId:N}}}";

    /// <summary>
    /// Progress of a root job's runs, written by the Integrations: one field per child id (JSON: percent, message,
    /// rows, at) and the summary fields <see cref="ProgressRows"/>, <see cref="ProgressMessage"/>, <see cref="ProgressAt"/>.
    /// </summary>
    public static string ProgressKey(Guid rootJobId) => Key(rootJobId) + ":progress";

    /// <summary>Rows reported by all runs of the root (each run's latest figure, summed).</summary>
    public const string ProgressRows = "~rows";
    public const string ProgressMessage = "~message";
    public const string ProgressAt = "~at";

    /// <summary>Datasets runs stored for debugging (<c>original</c>, <c>processed</c>): field <c>{childId:N}/{name}</c>, value JSON.</summary>
    public static string DatasetsKey(Guid rootJobId) => Key(rootJobId) + ":datasets";

    /// <summary>
    /// The definitions (<see cref="ChildJob"/> JSON, by child id) of a root's children that failed, recorded by the
    /// Integrations so <c>POST /jobs/{id}/retry-failed</c> can run them again. Children that never reported (timed out) have none.
    /// </summary>
    public static string FailedKey(Guid rootJobId) => Key(rootJobId) + ":failed";

    /// <summary>
    /// The definitions of a root's children being run right now (by child id), written by the Integrations when a
    /// batch starts and removed when it ends: what the Integrator re-sends when a child times out under the retry policy.
    /// </summary>
    public static string RunningKey(Guid rootJobId) => Key(rootJobId) + ":running";

    /// <summary>Per child id: how many times the Integrator re-sent it after a timeout.</summary>
    public static string TimeoutRetriesKey(Guid rootJobId) => Key(rootJobId) + ":timeout-retries";

    /// <summary>
    /// Redis pub/sub channel: the Integrator publishes a root's id (32 hex digits) here once the root's final status is in the
    /// read model, so a client waiting for the end (<c>GET /jobs/{id}/status?wait=</c>) answers at once instead of polling.
    /// A notification can be missed (pub/sub keeps nothing): waiters read the status again when their wait is over.
    /// </summary>
    public const string EndedChannel = "jobs:ended";

    /// <summary>In the read model: the job whose failed children this job re-runs.</summary>
    public const string RetryOf = "retryOf";

    /// <summary>Progress, datasets and failed definitions are kept this long after their last write.</summary>
    public static readonly TimeSpan DetailsLifetime = TimeSpan.FromDays(7);

    public const string Platform = "platform";
    public const string Status = "status";
    public const string Schedule = "schedule";
    public const string Total = "total";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string StartedAt = "startedAt";
    public const string FinishedAt = "finishedAt";
    public const string Error = "error";

    /// <summary>The root's failure policy (<see cref="Contracts.FailurePolicy"/>), written when the ledger starts the root.</summary>
    public const string FailurePolicy = "failurePolicy";

    /// <summary>
    /// Set by the ledger, once, when a child whose failure fails the root failed (a required task, or any child under
    /// <see cref="Contracts.FailurePolicy.FailFast"/>): the reason. From then on the Integrations start no child of the root.
    /// </summary>
    public const string Failure = "failure";
}
