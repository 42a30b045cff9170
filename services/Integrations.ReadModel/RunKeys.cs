namespace Jobs.Integrations.ReadModel;

/// <summary>
/// What the Integrations record in Redis about the runs of a root's children, written by the Integrations alone. Internal:
/// other services read it through <see cref="Runs"/>. The keys carry the root's hash tag (<c>{id}</c>) like the
/// Integrator's root job hash, so a root's keys live in one Redis Cluster slot.
/// </summary>
internal static class RunKeys
{
    private static string Root(Guid rootJobId) => $"job:{{{rootJobId:N}}}";

    /// <summary>
    /// Progress of a root job's runs: one field per child id (JSON: percent, message, rows, at) and the summary fields
    /// <see cref="ProgressRows"/>, <see cref="ProgressMessage"/>, <see cref="ProgressAt"/>.
    /// </summary>
    public static string ProgressKey(Guid rootJobId) => Root(rootJobId) + ":progress";

    /// <summary>Rows reported by all runs of the root (each run's latest figure, summed).</summary>
    public const string ProgressRows = "~rows";
    public const string ProgressMessage = "~message";
    public const string ProgressAt = "~at";

    /// <summary>Datasets runs stored for debugging (<c>original</c>, <c>processed</c>): field <c>{childId:N}/{name}</c>, value JSON.</summary>
    public static string DatasetsKey(Guid rootJobId) => Root(rootJobId) + ":datasets";

    /// <summary>
    /// The definitions (<c>ChildJob</c> JSON, by child id) of a root's children that failed, so <c>POST /jobs/{id}/retry-failed</c>
    /// can run them again. Children that never reported (timed out) have none.
    /// </summary>
    public static string FailedKey(Guid rootJobId) => Root(rootJobId) + ":failed";

    /// <summary>
    /// The definitions of a root's children being run right now (by child id), written when a batch starts and removed when
    /// it ends: what the Integrator re-sends when a child times out under the retry policy.
    /// </summary>
    public static string RunningKey(Guid rootJobId) => Root(rootJobId) + ":running";

    /// <summary>
    /// Per delivery of a batch (its message id): how many times it was started. Counted up when a delivery starts and removed
    /// when it finishes, so what is left counts the starts whose process died or hung before the end.
    /// </summary>
    public static string BatchStartsKey(Guid rootJobId) => Root(rootJobId) + ":batch-starts";
}
