using Jobs.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// The root jobs each schedule started, whether they have ended, and the fires that could not start theirs (table
/// <c>schedule_runs</c>, shared by every Scheduler instance): what the overlap and catch-up policies look at.
/// </summary>
public sealed class ScheduleRuns(NpgsqlDataSource dataSource, IOptions<SchedulerOptions> options)
{
    /// <summary>The outcome of a fire whose root job could not be started within the retry limit.</summary>
    public const string FireFailed = "FireFailed";

    /// <summary>A run not reported ended after this long no longer blocks its schedule (its end may have been lost).</summary>
    public TimeSpan MaxRunAge { get; } = options.Value.MaxRunAge;

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS schedule_runs (
              root_job_id uuid PRIMARY KEY,
              schedule text NOT NULL,
              scheduled_at timestamptz NOT NULL,
              started_at timestamptz NOT NULL DEFAULT now(),
              finished_at timestamptz NULL,
              outcome text NULL);
            ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS error text NULL;
            ALTER TABLE schedule_runs ADD COLUMN IF NOT EXISTS backfill_id uuid NULL;
            CREATE INDEX IF NOT EXISTS schedule_runs_running ON schedule_runs (schedule) WHERE finished_at IS NULL;
            CREATE INDEX IF NOT EXISTS schedule_runs_by_slot ON schedule_runs (schedule, scheduled_at);
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The latest fire time of <paramref name="schedule"/> that has a run (failed fires do not count).</summary>
    public async Task<DateTimeOffset?> LastRunSlotAsync(string schedule, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT max(scheduled_at) FROM schedule_runs WHERE schedule = $1 AND outcome IS DISTINCT FROM '{FireFailed}'");
        command.Parameters.Add(new() { Value = schedule });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    /// <summary>
    /// Records the runs of one fire (several under catch-up, oldest first) unless the overlap policy forbids it: then the id of
    /// the run still going is returned (runs of a backfill do not count: they never hold back the schedule's own fires).
    /// Recording a run again changes nothing, except that a fire recorded as failed becomes a run. Runs a backfill started
    /// already are left out of <see cref="FireBegun.Runs"/>: they are not started twice. Serialised per schedule by a
    /// transaction-scoped advisory lock (<see cref="LockAsync"/>).
    /// </summary>
    public async Task<FireBegun> TryBeginAsync(string schedule, IReadOnlyList<ScheduledRun> fire, bool skipIfRunning, CancellationToken cancellationToken)
    {
        var ids = fire.Select(r => r.RootJobId).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, schedule, cancellationToken);

        if (skipIfRunning)
        {
            await using var running = new NpgsqlCommand("""
                SELECT root_job_id FROM schedule_runs
                WHERE schedule = $1 AND finished_at IS NULL AND backfill_id IS NULL AND NOT (root_job_id = ANY($2)) AND started_at > now() - $3
                ORDER BY started_at DESC LIMIT 1
                """, connection, transaction);
            running.Parameters.Add(new() { Value = schedule });
            running.Parameters.Add(new() { Value = ids });
            running.Parameters.Add(new() { Value = MaxRunAge });
            if (await running.ExecuteScalarAsync(cancellationToken) is Guid busy) return new FireBegun(busy, []);
        }

        var backfilled = new HashSet<Guid>();
        await using (var started = new NpgsqlCommand("SELECT root_job_id FROM schedule_runs WHERE root_job_id = ANY($1) AND backfill_id IS NOT NULL",
                         connection, transaction))
        {
            started.Parameters.Add(new() { Value = ids });
            await using var reader = await started.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) backfilled.Add(reader.GetGuid(0));
        }

        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO schedule_runs (root_job_id, schedule, scheduled_at)
            SELECT r.id, $1, r.at FROM unnest($2::uuid[], $3::timestamptz[]) AS r(id, at)
            ON CONFLICT (root_job_id) DO UPDATE SET started_at = now(), finished_at = NULL, outcome = NULL, error = NULL
              WHERE schedule_runs.outcome = '{FireFailed}'
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = schedule });
            insert.Parameters.Add(new() { Value = ids });
            insert.Parameters.Add(new() { Value = fire.Select(r => r.ScheduledAt.UtcDateTime).ToArray() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new FireBegun(null, fire.Where(r => !backfilled.Contains(r.RootJobId)).ToList());
    }

    /// <summary>Serialises what changes the runs of <paramref name="schedule"/> (fires, backfills) until the transaction ends.</summary>
    public static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schedule, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('schedule:' || $1))", connection, transaction);
        command.Parameters.Add(new() { Value = schedule });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Ends the run of <paramref name="rootJobId"/>; returns the backfill that started it, if one did.</summary>
    public async Task<Guid?> FinishAsync(Guid rootJobId, string outcome, CancellationToken cancellationToken)
    {
        // A fire given up on whose start did reach the Integrator after all: its end is what happened.
        await using var command = dataSource.CreateCommand($"""
            WITH ended AS (
              UPDATE schedule_runs SET finished_at = now(), outcome = $2, error = NULL
              WHERE root_job_id = $1 AND (finished_at IS NULL OR outcome = '{FireFailed}'))
            SELECT backfill_id FROM schedule_runs WHERE root_job_id = $1
            """);
        command.Parameters.Add(new() { Value = rootJobId });
        command.Parameters.Add(new() { Value = outcome });
        return await command.ExecuteScalarAsync(cancellationToken) is Guid backfill ? backfill : null;
    }

    /// <summary>Records a fire whose root job could not be started (a run recorded for it is ended as failed).</summary>
    public async Task RecordFailedFireAsync(string schedule, FailedFire failure, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO schedule_runs (root_job_id, schedule, scheduled_at, started_at, finished_at, outcome, error)
            VALUES ($1, $2, $3, $4, $4, '{FireFailed}', $5)
            ON CONFLICT (root_job_id) DO UPDATE SET finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, error = EXCLUDED.error
              WHERE schedule_runs.finished_at IS NULL
            """);
        command.Parameters.Add(new() { Value = failure.RootJobId });
        command.Parameters.Add(new() { Value = schedule });
        command.Parameters.Add(new() { Value = failure.ScheduledAt.UtcDateTime });
        command.Parameters.Add(new() { Value = failure.FailedAt.UtcDateTime });
        command.Parameters.Add(new() { Value = failure.Error });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The latest <paramref name="perSchedule"/> failed fires of every schedule, newest first.</summary>
    public async Task<ILookup<string, FailedFire>> FailedFiresAsync(int perSchedule, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT schedule, scheduled_at, root_job_id, finished_at, error FROM (
              SELECT *, row_number() OVER (PARTITION BY schedule ORDER BY scheduled_at DESC) AS n
              FROM schedule_runs WHERE outcome = '{FireFailed}') AS f
            WHERE n <= $1 ORDER BY schedule, scheduled_at DESC
            """);
        command.Parameters.Add(new() { Value = perSchedule });
        var rows = new List<(string Schedule, FailedFire Fire)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add((reader.GetString(0), new FailedFire(reader.GetFieldValue<DateTimeOffset>(1), reader.GetGuid(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? "" : reader.GetString(4))));
        return rows.ToLookup(r => r.Schedule, r => r.Fire);
    }
}

/// <summary>One root job a fire starts: its id (derived from the schedule and <paramref name="ScheduledAt"/>) and fire time.</summary>
public readonly record struct ScheduledRun(Guid RootJobId, DateTimeOffset ScheduledAt);

/// <summary>
/// What a fire may start: nothing while <paramref name="Running"/> (the schedule's run still going) is set, otherwise
/// <paramref name="Runs"/>: the fire's runs but those a backfill started already.
/// </summary>
public sealed record FireBegun(Guid? Running, IReadOnlyList<ScheduledRun> Runs);
