namespace Jobs.Contracts;

/// <summary>The root failed for <see cref="Reason"/>; <see cref="HookError"/>: the error of the first of its post hooks that failed, if one did.</summary>
public record RootJobFailed(
    Guid RootJobId,
    string Platform,
    string? Schedule,
    long Total,
    long Completed,
    long Failed,
    string Reason,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string? HookError = null);
