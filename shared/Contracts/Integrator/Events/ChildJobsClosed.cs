namespace Jobs.Contracts;

/// <summary>
/// Event: the Integrator closed children of one root that no run will report: they timed out (the sweeper found them
/// missing and the timeout policy did not send them again), or they were continuations not started because their root had
/// already failed. Each outcome is a failure; it is counted and audited exactly like a <see cref="ChildJobsFinished"/>
/// outcome (keyed by child id, so a run that reports late counts nothing twice).
/// </summary>
public record ChildJobsClosed(Guid RootJobId, string Platform, IReadOnlyList<ChildJobOutcome> Outcomes);
