namespace Jobs.Contracts;

/// <summary>Every descendant of the root job has finished; sent by the ledger to the RootJob saga.</summary>
public record RootJobChildrenFinished(Guid RootJobId, long Total, long Completed, long Failed, string? EntryError);
