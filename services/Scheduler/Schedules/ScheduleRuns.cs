using Npgsql;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// The root jobs each schedule started and whether they have ended (table <c>schedule_runs</c>, shared by
/// every Scheduler instance): what the overlap policy looks at.
/// </summary>
public sealed class ScheduleRuns(NpgsqlDataSource dataSource, IConfiguration configuration)
{
    /// <summary>A run not reported ended after this long no longer blocks its schedule (its end may have been lost).</summary>
    public TimeSpan MaxRunAge { get; } = configuration.GetValue("Scheduler:MaxRunAge", TimeSpan.FromHours(6));

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
            CREATE INDEX IF NOT EXISTS schedule_runs_running ON schedule_runs (schedule) WHERE finished_at IS NULL;
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records a run of <paramref name="schedule"/> unless the overlap policy forbids it; returns the id of the
    /// run still going when it does. Serialised per schedule by a transaction-scoped advisory lock.
    /// </summary>
    public async Task<Guid?> TryBeginAsync(string schedule, Guid rootJobId, DateTimeOffset scheduledAt, bool skipIfRunning,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('schedule:' || $1))", connection, transaction))
        {
            command.Parameters.Add(new() { Value = schedule });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (skipIfRunning)
        {
            await using var running = new NpgsqlCommand("""
                SELECT root_job_id FROM schedule_runs
                WHERE schedule = $1 AND finished_at IS NULL AND root_job_id <> $2 AND started_at > now() - $3
                ORDER BY started_at DESC LIMIT 1
                """, connection, transaction);
            running.Parameters.Add(new() { Value = schedule });
            running.Parameters.Add(new() { Value = rootJobId });
            running.Parameters.Add(new() { Value = MaxRunAge });
            if (await running.ExecuteScalarAsync(cancellationToken) is Guid busy) return busy;
        }

        await using (var insert = new NpgsqlCommand("""
            INSERT INTO schedule_runs (root_job_id, schedule, scheduled_at) VALUES ($1, $2, $3) ON CONFLICT (root_job_id) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = rootJobId });
            insert.Parameters.Add(new() { Value = schedule });
            insert.Parameters.Add(new() { Value = scheduledAt });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    public async Task FinishAsync(Guid rootJobId, string outcome, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE schedule_runs SET finished_at = now(), outcome = $2 WHERE root_job_id = $1 AND finished_at IS NULL");
        command.Parameters.Add(new() { Value = rootJobId });
        command.Parameters.Add(new() { Value = outcome });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
