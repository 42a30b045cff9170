namespace Jobs.Contracts;

/// <summary>
/// Event: a batch of child jobs of one root finished (each succeeded or failed). Outcomes are keyed by
/// child id, so a redelivered or repeated batch counts nothing twice.
/// </summary>
public record ChildJobsFinished(Guid RootJobId, string Platform, IReadOnlyList<ChildJobOutcome> Outcomes);
