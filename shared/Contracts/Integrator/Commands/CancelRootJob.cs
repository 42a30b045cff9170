namespace Jobs.Contracts;

public record CancelRootJob(Guid RootJobId, string? Reason);
