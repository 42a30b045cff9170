using Npgsql;
using NpgsqlTypes;

namespace Jobs.Reporting.Tests;

/// <summary>Audit rows written into the test database as the Auditor writes them (its tables, its columns).</summary>
public sealed class AuditRows(NpgsqlDataSource postgres)
{
    public async Task RootAsync(Guid id, string platform, string status, DateTimeOffset startedAt, DateTimeOffset? finishedAt = null,
        string? settings = null, string? error = null, long total = 0, long completed = 0, long failed = 0, string? schedule = null, string? traceId = null)
    {
        await using var command = postgres.CreateCommand("""
            INSERT INTO root_jobs (root_job_id, platform, schedule, status, settings, total, completed, failed, started_at, finished_at, error, trace_id)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12)
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = platform });
        command.Parameters.Add(new() { Value = (object?)schedule ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = (object?)settings ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = total });
        command.Parameters.Add(new() { Value = completed });
        command.Parameters.Add(new() { Value = failed });
        command.Parameters.Add(new() { Value = startedAt });
        command.Parameters.Add(new() { Value = (object?)finishedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)traceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Finished children of one parent (ids, statuses, spawned counts and start times by index), in one statement.</summary>
    public async Task ChildrenAsync(Guid root, Guid parent, int generation, IReadOnlyList<Guid> ids, Func<int, string> status, DateTimeOffset startedAt,
        Func<int, int>? spawned = null, Func<int, bool>? hasContinuation = null, Func<int, string?>? error = null, string task = "child")
    {
        await using var command = postgres.CreateCommand("""
            INSERT INTO child_jobs (child_job_id, root_job_id, parent_job_id, generation, task, status, error, attempts, started_at, finished_at,
              group_id, spawned, has_continuation)
            SELECT c.id, $1, $2, $3, $4, c.status, c.error, 1, $5 + c.n * interval '1 millisecond', $5 + c.n * interval '1 millisecond' + interval '20 milliseconds',
                   $1, c.spawned, c.cont
            FROM unnest($6::uuid[], $7::text[], $8::text[], $9::int[], $10::bool[]) WITH ORDINALITY AS c(id, status, error, spawned, cont, n)
            """);
        command.Parameters.Add(new() { Value = root });
        command.Parameters.Add(new() { Value = parent });
        command.Parameters.Add(new() { Value = generation });
        command.Parameters.Add(new() { Value = task });
        command.Parameters.Add(new() { Value = startedAt });
        command.Parameters.Add(new() { Value = ids.ToArray() });
        command.Parameters.Add(new() { Value = ids.Select((_, i) => status(i)).ToArray() });
        command.Parameters.Add(new() { Value = ids.Select((_, i) => error?.Invoke(i)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = ids.Select((_, i) => spawned?.Invoke(i) ?? 0).ToArray() });
        command.Parameters.Add(new() { Value = ids.Select((_, i) => hasContinuation?.Invoke(i) ?? false).ToArray() });
        await command.ExecuteNonQueryAsync();
    }

    public async Task EventAsync(Guid root, string type, string payload, DateTimeOffset receivedAt)
    {
        await using var command = postgres.CreateCommand("""
            INSERT INTO job_events (message_id, root_job_id, event_type, payload, received_at) VALUES ($1, $2, $3, $4::jsonb, $5)
            """);
        command.Parameters.Add(new() { Value = Guid.NewGuid() });
        command.Parameters.Add(new() { Value = root });
        command.Parameters.Add(new() { Value = type });
        command.Parameters.Add(new() { Value = payload });
        command.Parameters.Add(new() { Value = receivedAt });
        await command.ExecuteNonQueryAsync();
    }
}
