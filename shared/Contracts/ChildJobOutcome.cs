namespace Jobs.Contracts;

/// <summary>
/// What one child job ended with. <see cref="Spawned"/> children were sent with ids
/// <see cref="JobIds.Child"/>(ChildJobId, 0..Spawned-1). <see cref="Measurements"/> are the figures a
/// successful run measured about its data, for the Auditor's data audits.
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
    IReadOnlyList<DataMeasurement>? Measurements = null);
