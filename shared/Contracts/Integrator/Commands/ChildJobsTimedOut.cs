namespace Jobs.Contracts;

/// <summary>
/// Children that neither finished nor reported anything within their deadline (found by the Auditor's
/// sweeper). The Integrator fails them, so the root reaches a final state; an outcome that still arrives
/// later is recognised as a duplicate and counts nothing.
/// </summary>
public record ChildJobsTimedOut(Guid RootJobId, string Platform, string Reason, IReadOnlyList<TimedOutChild> Children);

public record TimedOutChild(Guid ChildJobId, Guid ParentJobId, Guid GroupId, int Generation);
