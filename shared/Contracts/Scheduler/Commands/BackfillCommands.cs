namespace Jobs.Contracts;

/// <summary>
/// Request (to <c>scheduler-commands</c>): start one root job of the schedule for every interval of its cron expression that lies within
/// [<see cref="From"/>, <see cref="To"/>), at most <see cref="MaxConcurrent"/> running at a time. <see cref="BackfillId"/> is chosen by
/// the sender, so a redelivered command starts one backfill. Answered with <see cref="BackfillResult"/>.
/// </summary>
public record StartBackfill(Guid BackfillId, string Schedule, DateTimeOffset From, DateTimeOffset To, int MaxConcurrent);

/// <summary>Request (to <c>scheduler-commands</c>): the schedule's backfills, newest first, without their jobs.</summary>
public record ListBackfills(string Schedule);

/// <summary>Request (to <c>scheduler-commands</c>): one backfill of the schedule with its jobs.</summary>
public record GetBackfill(string Schedule, Guid BackfillId);

/// <summary>
/// Request or command (to <c>scheduler-commands</c>): no further job of the backfill starts, and those it started that are still
/// running are cancelled (<c>CancelRootJob</c>).
/// </summary>
public record CancelBackfill(string Schedule, Guid BackfillId);

/// <summary>
/// The answer to a backfill request: <see cref="Outcome"/> (a <see cref="BackfillOutcome"/>), the reason of a refusal
/// (<see cref="Error"/>, and for an invalid request each problem by field in <see cref="Errors"/>), and the backfills it is about.
/// </summary>
public record BackfillResult(string Outcome, string? Error, IReadOnlyDictionary<string, string[]>? Errors, IReadOnlyList<BackfillState> Backfills);

/// <summary>The bounds of a <see cref="StartBackfill"/>.</summary>
public static class BackfillLimits
{
    /// <summary>The most intervals one backfill may have.</summary>
    public const int MaxIntervals = 10_000;

    /// <summary>The most jobs of one backfill that may run at a time (at least 1).</summary>
    public const int MaxConcurrent = 100;
}

public static class BackfillOutcome
{
    public const string Accepted = "accepted";

    /// <summary>No such schedule, or no such backfill of it.</summary>
    public const string NotFound = "not_found";

    public const string Invalid = "invalid";

    /// <summary>The backfill to cancel had already ended (every job of it ended).</summary>
    public const string Ended = "ended";
}

/// <summary>
/// A backfill: its range and concurrency, <see cref="Status"/> (a <see cref="BackfillStatus"/>), the counts of its jobs by state and,
/// when asked for one backfill, the jobs (oldest interval first).
/// </summary>
public record BackfillState(
    Guid Id,
    string Schedule,
    DateTimeOffset From,
    DateTimeOffset To,
    int MaxConcurrent,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CancelledAt,
    BackfillCounts Counts,
    IReadOnlyList<BackfillJob>? Jobs = null);

/// <summary>How many jobs of a backfill are waiting for their turn, running, ended, had run before it, or will not start (cancelled).</summary>
public record BackfillCounts(int Total, int Waiting, int Running, int Ended, int AlreadyRun, int NotStarted);

/// <summary>
/// One interval of a backfill and its root job (the id a scheduled fire for <see cref="IntervalEnd"/> has too). <see cref="Status"/> is
/// <see cref="BackfillJobStatus.Waiting"/>, <see cref="BackfillJobStatus.NotStarted"/>, <see cref="BackfillJobStatus.Running"/> or the
/// state the root job ended in (<c>Completed</c>, <c>CompletedWithFailures</c>, <c>Failed</c>, <c>Cancelled</c>, <c>Rejected</c>).
/// <see cref="AlreadyRun"/>: the interval had its run before the backfill (a scheduled fire or an earlier backfill), which it did not start again.
/// </summary>
public record BackfillJob(Guid RootJobId, DateTimeOffset IntervalStart, DateTimeOffset IntervalEnd, string Status, bool AlreadyRun);

public static class BackfillStatus
{
    /// <summary>Jobs are waiting for their turn or running.</summary>
    public const string Running = "Running";

    /// <summary>Every job of the backfill has ended (or had run before it).</summary>
    public const string Completed = "Completed";

    public const string Cancelled = "Cancelled";
}

public static class BackfillJobStatus
{
    /// <summary>Not started yet: at most maxConcurrent jobs of a backfill run at a time.</summary>
    public const string Waiting = "Waiting";

    /// <summary>Started; its end not reported yet.</summary>
    public const string Running = "Running";

    /// <summary>The backfill was cancelled before its turn came.</summary>
    public const string NotStarted = "NotStarted";
}
