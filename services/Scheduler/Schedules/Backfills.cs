using System.Diagnostics;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.JobTree;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;
using Npgsql;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// Backfills of schedules (tables <c>schedule_backfills</c> and <c>schedule_backfill_runs</c>, shared by every Scheduler instance):
/// one root job per interval of the schedule's cron expression within a range, at most <c>maxConcurrent</c> running at a time. A
/// backfill's run is recorded in <c>schedule_runs</c> under the root id a scheduled fire for the interval's end has, so an interval
/// that had its run already (a fire, an earlier backfill) is not started again, and its end (the Integrator's root job events)
/// lets the next interval start. Everything is in PostgreSQL: a restarted Scheduler, or another one, goes on where it stopped.
/// </summary>
public sealed class Backfills(NpgsqlDataSource dataSource, ScheduleRuns runs, ScheduleStore store, ISendEndpointProvider sender, IPublishEndpoint publisher,
    ILogger<Backfills> logger)
{
    private const int MaxIntervals = BackfillLimits.MaxIntervals;
    private const int MaxConcurrentLimit = BackfillLimits.MaxConcurrent;

    /// <summary>How many backfills of a schedule are listed (the newest).</summary>
    public const int Listed = 100;

    /// <summary>A run recorded as starting this long ago whose start may have been lost (the Scheduler stopped in between): sent again.</summary>
    public static readonly TimeSpan LostStartAfter = TimeSpan.FromSeconds(30);

    // The states of a backfill's run (schedule_backfill_runs.state).
    private const string Waiting = "waiting";
    private const string Starting = "starting";
    private const string Started = "started";
    private const string Existing = "existing";
    private const string NotStarted = "not_started";

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            CREATE TABLE IF NOT EXISTS schedule_backfills (
              backfill_id uuid PRIMARY KEY,
              schedule text NOT NULL,
              range_from timestamptz NOT NULL,
              range_to timestamptz NOT NULL,
              max_concurrent int NOT NULL,
              time_zone text NOT NULL,
              platform text NOT NULL,
              settings jsonb NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(),
              cancelled_at timestamptz NULL);
            CREATE INDEX IF NOT EXISTS schedule_backfills_by_schedule ON schedule_backfills (schedule, created_at DESC);
            CREATE TABLE IF NOT EXISTS schedule_backfill_runs (
              backfill_id uuid NOT NULL REFERENCES schedule_backfills ON DELETE CASCADE,
              position int NOT NULL,
              root_job_id uuid NOT NULL,
              interval_start timestamptz NOT NULL,
              interval_end timestamptz NOT NULL,
              state text NOT NULL DEFAULT '{Waiting}',
              claimed_at timestamptz NULL,
              PRIMARY KEY (backfill_id, position));
            CREATE INDEX IF NOT EXISTS schedule_backfill_runs_open ON schedule_backfill_runs (backfill_id, position)
              WHERE state IN ('{Waiting}', '{Starting}');
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records the backfill and starts its first jobs. Refused (<see cref="InvalidBackfillException"/>) when the range is not
    /// later than it starts, lies in the future, holds no interval or more than <see cref="BackfillLimits.MaxIntervals"/>, or maxConcurrent is out
    /// of 1..<see cref="BackfillLimits.MaxConcurrent"/>; <see cref="ScheduleNotFoundException"/> without the schedule. The same id again
    /// (a redelivered command) records nothing new.
    /// </summary>
    public async Task<BackfillState> StartAsync(StartBackfill request, CancellationToken cancellationToken)
    {
        var spec = await store.FindAsync(request.Schedule, cancellationToken) ?? throw new ScheduleNotFoundException(request.Schedule);
        var zone = ScheduleStore.ZoneOf(spec.TimeZone) ?? TimeZoneInfo.Utc;
        var errors = new Dictionary<string, string[]>();
        if (request.MaxConcurrent is < 1 or > MaxConcurrentLimit) errors["maxConcurrent"] = [$"must be between 1 and {MaxConcurrentLimit}"];
        var cap = MaxIntervals.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        if (request.From.Year < 1970) errors["from"] = ["must be a time since 1970"];
        else if (request.From >= request.To) errors["to"] = ["must be later than from"];
        else if (request.To > DateTimeOffset.UtcNow) errors["to"] = ["must not be in the future: an interval is backfilled once it has ended"];
        var rangeValid = errors.Count == 0 || (errors.Count == 1 && errors.ContainsKey("maxConcurrent"));
        IReadOnlyList<DataInterval> intervals = rangeValid ? DataIntervals.Within(spec.Cron, zone, request.From, request.To, MaxIntervals) : [];
        if (rangeValid && intervals.Count > MaxIntervals)
            errors["to"] = [$"the range holds more than {cap} intervals of the cron expression '{spec.Cron}': backfill at most {cap} at a time"];
        else if (rangeValid && intervals.Count == 0)
            errors["from"] = [$"no interval of the cron expression '{spec.Cron}' ({spec.TimeZone}) lies within [from, to)"];
        if (errors.Count > 0) throw new InvalidBackfillException(request.Schedule, errors);

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using var insert = new NpgsqlCommand("""
                WITH backfill AS (
                  INSERT INTO schedule_backfills (backfill_id, schedule, range_from, range_to, max_concurrent, time_zone, platform, settings)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (backfill_id) DO NOTHING RETURNING backfill_id)
                INSERT INTO schedule_backfill_runs (backfill_id, position, root_job_id, interval_start, interval_end)
                SELECT b.backfill_id, r.position, r.id, r.start_at, r.end_at
                FROM backfill b, unnest($9::int[], $10::uuid[], $11::timestamptz[], $12::timestamptz[]) AS r(position, id, start_at, end_at)
                """, connection, transaction);
            insert.Parameters.Add(new() { Value = request.BackfillId });
            insert.Parameters.Add(new() { Value = request.Schedule });
            insert.Parameters.Add(new() { Value = request.From.UtcDateTime });
            insert.Parameters.Add(new() { Value = request.To.UtcDateTime });
            insert.Parameters.Add(new() { Value = request.MaxConcurrent });
            insert.Parameters.Add(new() { Value = zone.Id });
            insert.Parameters.Add(new() { Value = spec.Platform });
            insert.Parameters.Add(new() { Value = spec.Settings.ValueKind == JsonValueKind.Object ? spec.Settings.GetRawText() : "{}" });
            insert.Parameters.Add(new() { Value = Enumerable.Range(0, intervals.Count).ToArray() });
            insert.Parameters.Add(new() { Value = intervals.Select(i => JobIds.ForSchedule(request.Schedule, i.End)).ToArray() });
            insert.Parameters.Add(new() { Value = intervals.Select(i => i.Start.UtcDateTime).ToArray() });
            insert.Parameters.Add(new() { Value = intervals.Select(i => i.End.UtcDateTime).ToArray() });
            var recorded = await insert.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (recorded > 0)
                logger.LogInformation("Backfill {BackfillId} of schedule {Schedule}: {Count} interval(s) from {From:O} to {To:O}, at most {MaxConcurrent} at a time",
                    request.BackfillId, request.Schedule, intervals.Count, intervals[0].Start, intervals[^1].End, request.MaxConcurrent);
        }

        await AdvanceAsync(request.BackfillId, cancellationToken);
        return (await StatesAsync(request.Schedule, request.BackfillId, cancellationToken)).Single();
    }

    /// <summary>
    /// Starts as many waiting jobs of the backfill as its concurrency allows now (none once it is cancelled). A job counts as running
    /// from its start until its end is reported, or for at most the Scheduler's <c>MaxRunAge</c> (its end may have been lost).
    /// </summary>
    public async Task AdvanceAsync(Guid backfillId, CancellationToken cancellationToken)
    {
        Backfill? backfill;
        var claimed = new List<(Guid RootJobId, DataInterval Interval)>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            backfill = await ReadAsync(connection, transaction, backfillId, lockSchedule: true, cancellationToken);
            if (backfill is null || backfill.CancelledAt is not null) return;

            await using (var count = new NpgsqlCommand($"""
                SELECT count(*) FROM schedule_backfill_runs b JOIN schedule_runs r USING (root_job_id)
                WHERE b.backfill_id = $1 AND b.state IN ('{Starting}', '{Started}') AND r.finished_at IS NULL AND r.started_at > now() - $2
                """, connection, transaction))
            {
                count.Parameters.Add(new() { Value = backfillId });
                count.Parameters.Add(new() { Value = runs.MaxRunAge });
                var free = backfill.MaxConcurrent - Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken));
                // Intervals that had their run already take no slot: take the next ones until the slots are filled or none waits.
                while (free > 0)
                {
                    var batch = await ClaimAsync(connection, transaction, backfill, free, cancellationToken);
                    if (batch.Taken == 0) break;
                    claimed.AddRange(batch.Claimed);
                    free -= batch.Claimed.Count;
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (claimed.Count > 0) await SendStartsAsync(backfill, claimed, cancellationToken);
    }

    /// <summary>
    /// Takes the next <paramref name="count"/> waiting intervals: each whose root id has no run yet (or only a failed fire) is
    /// recorded in <c>schedule_runs</c> as the backfill's and returned; the others are marked as having run before.
    /// </summary>
    private static async Task<(int Taken, List<(Guid RootJobId, DataInterval Interval)> Claimed)> ClaimAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, Backfill backfill, int count, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            WITH next AS (
              SELECT position, root_job_id, interval_end FROM schedule_backfill_runs
              WHERE backfill_id = $1 AND state = '{Waiting}' ORDER BY position LIMIT $2),
            claimed AS (
              INSERT INTO schedule_runs (root_job_id, schedule, scheduled_at, backfill_id)
              SELECT root_job_id, $3, interval_end, $1 FROM next
              ON CONFLICT (root_job_id) DO UPDATE SET started_at = now(), finished_at = NULL, outcome = NULL, error = NULL, backfill_id = EXCLUDED.backfill_id
                WHERE schedule_runs.outcome = '{ScheduleRuns.FireFailed}'
              RETURNING root_job_id)
            UPDATE schedule_backfill_runs b
            SET state = CASE WHEN b.root_job_id IN (SELECT root_job_id FROM claimed) THEN '{Starting}' ELSE '{Existing}' END, claimed_at = now()
            FROM next WHERE b.backfill_id = $1 AND b.position = next.position
            RETURNING b.root_job_id, b.interval_start, b.interval_end, b.state
            """, connection, transaction);
        command.Parameters.Add(new() { Value = backfill.Id });
        command.Parameters.Add(new() { Value = count });
        command.Parameters.Add(new() { Value = backfill.Schedule });
        var taken = 0;
        var claimed = new List<(Guid, DataInterval)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            taken++;
            if (reader.GetString(3) == Starting)
                claimed.Add((reader.GetGuid(0), backfill.Interval(reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2))));
        }

        return (taken, claimed);
    }

    /// <summary>
    /// Sends the start of each claimed job (each the root span of its own trace, like a fire), then records them started. A job
    /// of a backfill cancelled meanwhile is cancelled at once.
    /// </summary>
    private async Task SendStartsAsync(Backfill backfill, IReadOnlyList<(Guid RootJobId, DataInterval Interval)> claimed, CancellationToken cancellationToken)
    {
        using var settings = JsonDocument.Parse(backfill.Settings);
        var endpoint = await sender.GetSendEndpoint(IntegrationQueues.StartJobsAddress);
        foreach (var (rootJobId, interval) in claimed)
        {
            using var span = JobTracing.Source.StartActivity("backfill start", ActivityKind.Internal, parentContext: default);
            span?.SetTag(JobTracing.Schedule, backfill.Schedule).SetTag(JobTracing.RootJobId, rootJobId.ToString()).SetTag("jobs.backfill_id", backfill.Id.ToString());
            await endpoint.Send(StartScheduledJob.ScheduledStart(new ScheduledRun(rootJobId, interval.End), backfill.Schedule, backfill.Platform,
                settings.RootElement, interval), cancellationToken);
        }

        var ids = claimed.Select(c => c.RootJobId).ToArray();
        await using var command = dataSource.CreateCommand($"""
            UPDATE schedule_backfill_runs SET state = '{Started}' WHERE backfill_id = $1 AND root_job_id = ANY($2) AND state = '{Starting}'
            RETURNING (SELECT cancelled_at IS NOT NULL FROM schedule_backfills WHERE backfill_id = $1)
            """);
        command.Parameters.Add(new() { Value = backfill.Id });
        command.Parameters.Add(new() { Value = ids });
        var cancelled = await command.ExecuteScalarAsync(cancellationToken) is true;
        logger.LogInformation("Backfill {BackfillId} of schedule {Schedule} started {Count} job(s): {Intervals}", backfill.Id, backfill.Schedule, claimed.Count,
            string.Join(", ", claimed.Select(c => $"{c.Interval.Start:O}/{c.Interval.End:O}")));
        if (cancelled) await CancelJobsAsync(backfill, ids, cancellationToken);
    }

    /// <summary>
    /// Cancels the backfill: no further job starts, and the jobs it started that have not ended are cancelled as <c>DELETE /jobs/{id}</c>
    /// cancels them (<see cref="CancelRootJob"/>). Cancelling it again changes nothing; a backfill whose jobs have all ended is refused
    /// (<see cref="BackfillEndedException"/>).
    /// </summary>
    public async Task<BackfillState> CancelAsync(string schedule, Guid backfillId, CancellationToken cancellationToken)
    {
        Backfill backfill;
        var running = new List<Guid>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            backfill = await ReadAsync(connection, transaction, backfillId, lockSchedule: true, cancellationToken) is { } found && found.Schedule == schedule
                ? found
                : throw new BackfillNotFoundException(schedule, backfillId);
            if (backfill.CancelledAt is null && (await StatesAsync(connection, transaction, schedule, backfillId, cancellationToken)).Single().Status ==
                BackfillStatus.Completed)
                throw new BackfillEndedException(schedule, backfillId);

            await using var cancel = new NpgsqlCommand($"""
                WITH backfill AS (UPDATE schedule_backfills SET cancelled_at = coalesce(cancelled_at, now()) WHERE backfill_id = $1),
                waiting AS (UPDATE schedule_backfill_runs SET state = '{NotStarted}' WHERE backfill_id = $1 AND state = '{Waiting}')
                SELECT b.root_job_id FROM schedule_backfill_runs b JOIN schedule_runs r USING (root_job_id)
                WHERE b.backfill_id = $1 AND b.state IN ('{Starting}', '{Started}') AND r.finished_at IS NULL
                """, connection, transaction);
            cancel.Parameters.Add(new() { Value = backfillId });
            await using (var reader = await cancel.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) running.Add(reader.GetGuid(0));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (backfill.CancelledAt is null)
            logger.LogInformation("Backfill {BackfillId} of schedule {Schedule} cancelled: no further job starts, {Running} running job(s) cancelled",
                backfillId, schedule, running.Count);
        await CancelJobsAsync(backfill, running, cancellationToken);
        return (await StatesAsync(schedule, backfillId, cancellationToken)).Single();
    }

    /// <summary>Cancels every backfill of a schedule that is being deleted.</summary>
    public async Task CancelAllAsync(string schedule, CancellationToken cancellationToken)
    {
        foreach (var backfill in await StatesAsync(schedule, null, cancellationToken))
        {
            if (backfill.Status == BackfillStatus.Running) await CancelAsync(schedule, backfill.Id, cancellationToken);
        }
    }

    private async Task CancelJobsAsync(Backfill backfill, IReadOnlyCollection<Guid> rootJobIds, CancellationToken cancellationToken)
    {
        foreach (var id in rootJobIds)
            await publisher.Publish(new CancelRootJob(id, $"backfill {backfill.Id} of schedule {backfill.Schedule} cancelled"), cancellationToken);
    }

    /// <summary>
    /// What a Scheduler does every <c>BackfillSweepInterval</c> for every backfill with jobs to start: sends again the starts that
    /// may have been lost (recorded as starting <see cref="LostStartAfter"/> ago or more), then advances it. This is how a backfill
    /// goes on after a restart, and past jobs whose end was never reported.
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var open = new List<(Backfill Backfill, List<(Guid, DataInterval)> Lost)>();
        await using (var command = dataSource.CreateCommand($"""
            SELECT f.backfill_id, b.root_job_id, b.interval_start, b.interval_end
            FROM schedule_backfills f LEFT JOIN schedule_backfill_runs b
              ON b.backfill_id = f.backfill_id AND b.state = '{Starting}' AND b.claimed_at < now() - $1
            WHERE f.cancelled_at IS NULL
              AND EXISTS (SELECT 1 FROM schedule_backfill_runs o WHERE o.backfill_id = f.backfill_id AND o.state IN ('{Waiting}', '{Starting}'))
            ORDER BY f.created_at
            """))
        {
            command.Parameters.Add(new() { Value = LostStartAfter });
            var rows = new List<(Guid Backfill, Guid? RootJobId, DateTimeOffset Start, DateTimeOffset End)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    rows.Add(reader.IsDBNull(1)
                        ? (reader.GetGuid(0), null, default, default)
                        : (reader.GetGuid(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }

            foreach (var group in rows.GroupBy(r => r.Backfill))
            {
                if (await FindAsync(group.Key, cancellationToken) is not { } backfill) continue;
                open.Add((backfill, group.Where(r => r.RootJobId is not null).Select(r => (r.RootJobId!.Value, backfill.Interval(r.Start, r.End))).ToList()));
            }
        }

        foreach (var (backfill, lost) in open)
        {
            if (lost.Count > 0)
            {
                logger.LogWarning("Backfill {BackfillId} of schedule {Schedule}: sending {Count} start(s) again that may have been lost", backfill.Id,
                    backfill.Schedule, lost.Count);
                await SendStartsAsync(backfill, lost, cancellationToken);
            }

            await AdvanceAsync(backfill.Id, cancellationToken);
        }
    }

    /// <summary>The schedule's backfills, newest first (at most <see cref="Listed"/>), without their jobs; one when <paramref name="backfillId"/> is given.</summary>
    public async Task<IReadOnlyList<BackfillState>> StatesAsync(string schedule, Guid? backfillId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await StatesAsync(connection, null, schedule, backfillId, cancellationToken);
    }

    /// <summary>One backfill of the schedule with its jobs, oldest interval first.</summary>
    public async Task<BackfillState> GetAsync(string schedule, Guid backfillId, CancellationToken cancellationToken)
    {
        var state = (await StatesAsync(schedule, backfillId, cancellationToken)).SingleOrDefault() ?? throw new BackfillNotFoundException(schedule, backfillId);
        var backfill = (await FindAsync(backfillId, cancellationToken))!;
        await using var command = dataSource.CreateCommand($"""
            SELECT b.root_job_id, b.interval_start, b.interval_end, b.state, r.finished_at IS NOT NULL, r.outcome
            FROM schedule_backfill_runs b LEFT JOIN schedule_runs r USING (root_job_id)
            WHERE b.backfill_id = $1 ORDER BY b.position
            """);
        command.Parameters.Add(new() { Value = backfillId });
        var jobs = new List<BackfillJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var interval = backfill.Interval(reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2));
            var status = reader.GetString(3) switch
            {
                Waiting => BackfillJobStatus.Waiting,
                NotStarted => BackfillJobStatus.NotStarted,
                _ when reader.IsDBNull(4) || !reader.GetBoolean(4) => BackfillJobStatus.Running,
                _ => reader.IsDBNull(5) ? JobStatus.Completed : reader.GetString(5),
            };
            jobs.Add(new BackfillJob(reader.GetGuid(0), interval.Start, interval.End, status, reader.GetString(3) == Existing));
        }

        return state with { Jobs = jobs };
    }

    private async Task<IReadOnlyList<BackfillState>> StatesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schedule, Guid? backfillId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT f.backfill_id, f.range_from, f.range_to, f.max_concurrent, f.time_zone, f.created_at, f.cancelled_at,
              count(*),
              count(*) FILTER (WHERE b.state = '{Waiting}'),
              count(*) FILTER (WHERE b.state IN ('{Starting}', '{Started}', '{Existing}') AND r.finished_at IS NULL),
              count(*) FILTER (WHERE b.state IN ('{Starting}', '{Started}', '{Existing}') AND r.finished_at IS NOT NULL),
              count(*) FILTER (WHERE b.state = '{Existing}'),
              count(*) FILTER (WHERE b.state = '{NotStarted}')
            FROM schedule_backfills f JOIN schedule_backfill_runs b USING (backfill_id) LEFT JOIN schedule_runs r USING (root_job_id)
            WHERE f.schedule = $1 AND ($2::uuid IS NULL OR f.backfill_id = $2)
            GROUP BY f.backfill_id ORDER BY f.created_at DESC LIMIT {Listed}
            """, connection, transaction);
        command.Parameters.Add(new() { Value = schedule });
        command.Parameters.Add(new() { Value = (object?)backfillId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var states = new List<BackfillState>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var zone = ScheduleStore.ZoneOf(reader.GetString(4)) ?? TimeZoneInfo.Utc;
            int Count(int ordinal) => Convert.ToInt32(reader.GetInt64(ordinal));
            var counts = new BackfillCounts(Count(7), Count(8), Count(9), Count(10), Count(11), Count(12));
            var cancelledAt = reader.IsDBNull(6) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(6);
            var status = cancelledAt is not null ? BackfillStatus.Cancelled
                : counts.Waiting + counts.Running == 0 ? BackfillStatus.Completed
                : BackfillStatus.Running;
            states.Add(new BackfillState(reader.GetGuid(0), schedule, TimeZoneInfo.ConvertTime(reader.GetFieldValue<DateTimeOffset>(1), zone),
                TimeZoneInfo.ConvertTime(reader.GetFieldValue<DateTimeOffset>(2), zone), reader.GetInt32(3), status, reader.GetFieldValue<DateTimeOffset>(5),
                cancelledAt, counts));
        }

        return states;
    }

    private async Task<Backfill?> FindAsync(Guid backfillId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, backfillId, lockSchedule: false, cancellationToken);
    }

    /// <summary>The backfill's definition; with <paramref name="lockSchedule"/> under the schedule's lock, read after taking it.</summary>
    private static async Task<Backfill?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid backfillId, bool lockSchedule,
        CancellationToken cancellationToken)
    {
        const string sql = "SELECT schedule, max_concurrent, time_zone, platform, settings::text, cancelled_at FROM schedule_backfills WHERE backfill_id = $1";
        async Task<Backfill?> ReadOnceAsync()
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.Add(new() { Value = backfillId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            return new Backfill(backfillId, reader.GetString(0), reader.GetInt32(1), ScheduleStore.ZoneOf(reader.GetString(2)) ?? TimeZoneInfo.Utc,
                reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
        }

        var backfill = await ReadOnceAsync();
        if (backfill is null || !lockSchedule || transaction is null) return backfill;
        await ScheduleRuns.LockAsync(connection, transaction, backfill.Schedule, cancellationToken);
        return await ReadOnceAsync();
    }

    private sealed record Backfill(Guid Id, string Schedule, int MaxConcurrent, TimeZoneInfo Zone, string Platform, string Settings, DateTimeOffset? CancelledAt)
    {
        public DataInterval Interval(DateTimeOffset start, DateTimeOffset end) => new(TimeZoneInfo.ConvertTime(start, Zone), TimeZoneInfo.ConvertTime(end, Zone));
    }
}

/// <summary>A backfill request that is refused: every problem by field (<c>from</c>, <c>to</c>, <c>maxConcurrent</c>).</summary>
public sealed class InvalidBackfillException(string schedule, IReadOnlyDictionary<string, string[]> errors)
    : InvalidScheduleException($"backfill of schedule '{schedule}': {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}")
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

public sealed class BackfillNotFoundException(string schedule, Guid backfillId)
    : InvalidScheduleException($"schedule '{schedule}' has no backfill {backfillId}");

public sealed class BackfillEndedException(string schedule, Guid backfillId)
    : InvalidScheduleException($"backfill {backfillId} of schedule '{schedule}' has ended: every job of it has ended");
