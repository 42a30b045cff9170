using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>
/// The public command that starts a root job. Accepted on the <c>jobs.start</c> exchange both in a
/// MassTransit envelope and as plain JSON (<c>{"platform":"synthetic","settings":{"children":3}}</c>).
/// Every field is optional on the wire so that a malformed request is rejected with a reason instead of
/// failing deserialization.
/// </summary>
public record StartRootJob
{
    /// <summary>Chosen by the caller to make the request idempotent; generated when absent.</summary>
    public Guid? RootJobId { get; init; }

    public string? Platform { get; init; }

    public JsonElement? Settings { get; init; }

    /// <summary>Name of the schedule that fired this job, when it was a schedule.</summary>
    public string? Schedule { get; init; }

    /// <summary>
    /// The fire time this job runs for, when a schedule started it: relative dates in the settings (<c>yesterday</c>) are resolved
    /// against it rather than against the time the request is handled, so a late or caught-up fire covers its own interval.
    /// </summary>
    public DateTimeOffset? ScheduledAt { get; init; }

    /// <summary>
    /// When a schedule started it: the start (inclusive) of the data interval the run covers, the fire time of the schedule's cron
    /// expression before <see cref="IntervalEnd"/>, in the schedule's time zone. <c>{interval_start}</c> in the schedule's settings
    /// was replaced by it.
    /// </summary>
    public DateTimeOffset? IntervalStart { get; init; }

    /// <summary>When a schedule started it: the end (exclusive) of its data interval, the fire time it runs for (<c>{interval_end}</c>).</summary>
    public DateTimeOffset? IntervalEnd { get; init; }

    /// <summary>Minimum share of children (0-100) that must succeed for the root to complete; default 0.</summary>
    public double? MinSuccessPercent { get; init; }
}
