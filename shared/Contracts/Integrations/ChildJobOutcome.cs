namespace Jobs.Contracts;

/// <summary>
/// What one child job ended with. <see cref="Spawned"/> children were sent with ids
/// <c>JobIds.Child</c>(ChildJobId, 0..Spawned-1) (Jobs.JobTree). <see cref="Measurements"/> are the figures a
/// successful run measured about its data, for the Auditor's data audits. <see cref="StoppedByRoot"/>: the child failed
/// only because its root had been cancelled or had failed (not started, or stopped while running); such a failure is a
/// consequence, never what fails the root.
/// </summary>
public record ChildJobOutcome(
    Guid ChildJobId,
    Guid ParentJobId,
    Guid GroupId,
    int Generation,
    string Task,
    bool Succeeded,
    string? Error,
    int Spawned,
    ContinuationJob? Continuation,
    int Attempts,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    IReadOnlyList<DataMeasurement>? Measurements = null,
    bool StoppedByRoot = false)
{
    /// <summary>The outcome of <paramref name="job"/> failed with <paramref name="error"/> without being run (no attempt, nothing spawned).</summary>
    public static ChildJobOutcome NotStarted(ChildJob job, string error, DateTimeOffset at, bool stoppedByRoot) =>
        new(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation, job.Task, false, error, 0, null, 0, at, at, StoppedByRoot: stoppedByRoot);
}
