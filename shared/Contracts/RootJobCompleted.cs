namespace Jobs.Contracts;

public record RootJobCompleted(
    Guid RootJobId,
    string Platform,
    string? Schedule,
    long Total,
    long Completed,
    long Failed,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt);
