namespace Jobs.Auditor.ReadModel;

/// <summary>A page of audit rows and how many rows match in all.</summary>
public sealed record AuditPage<T>(IReadOnlyList<T> Items, long Total);

/// <summary>Which audited root jobs to list: every filter is optional; newest first; <see cref="Page"/> counts from 1.</summary>
/// <param name="Text">
/// Matches a root's id (the whole id, or a prefix of at least 4 hex digits written with or without the dashes), or, case-insensitively,
/// text in the root's settings (as audited: secrets masked), its error or any of its children's errors (see <see cref="JobSearch"/>).
/// </param>
/// <param name="Platforms">When set, only jobs of these platforms (an API key scoped to platforms); <paramref name="Platform"/> narrows further.</param>
public sealed record AuditedRootJobFilter(string? Platform, string? Status, string? Schedule, DateTimeOffset? StartedFrom, DateTimeOffset? StartedBefore,
    int Page, int PageSize, string? Text = null, IReadOnlyList<string>? Platforms = null);

/// <summary>A root job as the audit trail holds it: its last known status and counts, and its duration once it ended.</summary>
public sealed record AuditedRootJob(Guid RootJobId, string Platform, string Status, string? Schedule, long Total, long Completed, long Failed,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, long? DurationMs, string? Error);

/// <summary>One generation of a root's children: how many, how many failed, and the seconds from the root's start until all had finished.</summary>
public sealed record AuditedGeneration(int Generation, long Children, long Failed, DateTimeOffset FirstStartedAt, DateTimeOffset LastFinishedAt,
    double SecondsFromStart);

/// <summary>A child job that failed, as its outcome was audited.</summary>
public sealed record AuditedChildFailure(Guid ChildJobId, Guid ParentJobId, int Generation, string Task, string? Error, int Attempts,
    DateTimeOffset FinishedAt);
