namespace Jobs.Contracts;

/// <summary>
/// Every descendant of the root job has finished; sent by the ledger to the RootJob saga. <see cref="Failure"/> is the
/// reason the root fails regardless of the counts (a required task failed, or any child under <c>fail_fast</c>), when one did.
/// </summary>
public record RootJobChildrenFinished(Guid RootJobId, long Total, long Completed, long Failed, string? EntryError, string? Failure = null);
