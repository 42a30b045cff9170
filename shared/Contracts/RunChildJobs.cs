namespace Jobs.Contracts;

/// <summary>
/// Command sent to the queue <c>integration-&lt;platform&gt;</c>: run these children (a bounded batch, see
/// <see cref="JobLimits.MaxChildrenPerMessage"/>).
/// </summary>
public record RunChildJobs(Guid RootJobId, string Platform, IReadOnlyList<ChildJob> Children);
