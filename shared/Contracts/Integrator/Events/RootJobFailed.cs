namespace Jobs.Contracts;

public record RootJobFailed(
    Guid RootJobId,
    string Platform,
    string? Schedule,
    long Total,
    long Completed,
    long Failed,
    string Reason,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt);
