namespace Jobs.Contracts;

/// <summary>
/// Every child of the root finished and its failure policy accepted the outcome. <see cref="Status"/> is
/// <see cref="JobStatus.Completed"/> when every child succeeded and <see cref="JobStatus.CompletedWithFailures"/> when
/// <see cref="Failed"/> children failed (absent on the wire from publishers older than the field: then Completed). <see cref="HookError"/>: the
/// error of the first of its post hooks that failed (its status and counts are the job's own).
/// </summary>
public record RootJobCompleted(
    Guid RootJobId,
    string Platform,
    string? Schedule,
    long Total,
    long Completed,
    long Failed,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string Status = JobStatus.Completed,
    string? HookError = null);
