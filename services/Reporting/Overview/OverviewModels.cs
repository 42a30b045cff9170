using System.Text.Json.Serialization;

namespace Jobs.Reporting.Overview;

/// <summary>A job running (or accepted and not started yet), with its live counts and share done.</summary>
public sealed record RunningJob(Guid Id, string Platform, string? Schedule, string Status, ChildCounts Children, double Percent, DateTimeOffset? StartedAt);

/// <summary>One hour (UTC, truncated) of a platform: roots started in it, and roots that ended in it completed (with or without failures) or failed.</summary>
public sealed record HourCounts(DateTimeOffset Hour, long Started, long Completed, long Failed);

/// <summary>A platform's last 24 hours: roots started in them, roots that ended in them by final status, and the same per hour (24 buckets).</summary>
public sealed record PlatformDay(string Platform, long Started, long Completed, long CompletedWithFailures, long Failed, long Cancelled,
    IReadOnlyList<HourCounts> Hourly);

/// <summary>An Integrations process consuming a queue, from its heartbeat.</summary>
public sealed record QueueWorker(string Id, string Host, IReadOnlyList<string> Platforms, long InFlight);

/// <summary>An integration queue as the broker's management API shows it (rates per second, 0 when it has none), with its workers.</summary>
public sealed record QueueView(string Name, string Platform, long Messages, long Ready, long Unacked, int Consumers, double PublishRate, double AckRate,
    IReadOnlyList<QueueWorker> Workers);

/// <summary>A schedule's next and previous fire, from the Scheduler.</summary>
public sealed record NextFire(string Schedule, string Platform, DateTimeOffset? NextFireAt, DateTimeOffset? PreviousFireAt, bool Paused);

/// <summary><c>GET /overview</c> and each event of <c>GET /overview/stream</c>.</summary>
public sealed record OverviewResponse(
    DateTimeOffset At,
    IReadOnlyList<RunningJob> Running,
    IReadOnlyList<PlatformDay> Last24h,
    double? FailureRate,
    double ChildrenPerSecond,
    IReadOnlyList<QueueView> Queues,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? QueuesError,
    IReadOnlyList<NextFire> NextFires,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SchedulesError,
    DiagnosticsReport Dependencies);
