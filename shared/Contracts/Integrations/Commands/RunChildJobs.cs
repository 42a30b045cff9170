namespace Jobs.Contracts;

/// <summary>
/// Command sent to the queue <c>integration-&lt;platform&gt;</c>: run these children (a bounded batch, see
/// <c>JobLimits.MaxChildrenPerMessage</c> in Jobs.JobTree).
/// </summary>
public record RunChildJobs(Guid RootJobId, string Platform, IReadOnlyList<ChildJob> Children);
