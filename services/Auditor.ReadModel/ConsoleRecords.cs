using System.Text.Json;

namespace Jobs.Auditor.ReadModel;

/// <summary>
/// One audited job event of a root, as it arrived: its row id, type (the contract's name), when, the size of the message as stored,
/// how many outcomes it carries (batches of children), and the message itself when it is small (else null: read it by id).
/// </summary>
public sealed record AuditedJobEvent(long Id, string Type, DateTimeOffset ReceivedAt, int Bytes, int? Outcomes, JsonElement? Payload);

/// <summary>A finished job of a root's tree (a child, a continuation or the entry run) as its outcome was audited.</summary>
/// <param name="Spawned">The children it spawned (ids <c>JobIds.Child</c>(JobId, 0..Spawned-1)), its continuation not included.</param>
public sealed record AuditedTreeJob(Guid JobId, Guid ParentJobId, int Generation, string Task, string Status, string? Error, int Attempts,
    DateTimeOffset StartedAt, DateTimeOffset FinishedAt, long DurationMs, int Spawned, bool HasContinuation);

/// <summary>A job being run now (from the Integrations' running record), for the subtree counts of <see cref="AuditTrailReader.SubtreesAsync"/>.</summary>
public sealed record RunningTreeJob(Guid JobId, Guid ParentJobId);

/// <summary>
/// The jobs below one job (its descendants, not the job itself): finished ones by status, those running now, and those spawned by a
/// finished job that have neither finished nor started (<see cref="Waiting"/>); <see cref="Descendants"/> = every known one.
/// </summary>
public sealed record AuditedSubtree(long Done, long Failed, long Running, long Waiting, long Descendants);

/// <summary>A figure a run measured about its data, with the figure of the previous run it was compared with.</summary>
public sealed record AuditedMeasurement(string Platform, string Dataset, string Subject, Guid RootJobId, DateTimeOffset MeasuredAt, double Value,
    double? PreviousValue, bool AuditFailed);

/// <summary>Which measurements to read: every filter optional, <see cref="From"/> inclusive, <see cref="To"/> exclusive.</summary>
/// <param name="Platforms">Only these platforms (a key scoped to them); null: every platform.</param>
public sealed record AuditedMeasurementFilter(string? Platform, string? Dataset, DateTimeOffset? From, DateTimeOffset? To,
    IReadOnlyList<string>? Platforms = null);

/// <summary>
/// One hour (UTC, truncated) of one platform's root jobs: how many started in it, and how many ended in it by their final status.
/// </summary>
public sealed record AuditedPlatformHour(string Platform, DateTimeOffset Hour, long Started, long Completed, long CompletedWithFailures, long Failed,
    long Cancelled);
