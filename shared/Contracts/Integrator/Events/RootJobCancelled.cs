namespace Jobs.Contracts;

public record RootJobCancelled(
    Guid RootJobId,
    string Platform,
    string? Schedule,
    string? Reason,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt);
