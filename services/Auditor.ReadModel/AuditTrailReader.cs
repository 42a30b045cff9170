using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Jobs.Auditor.ReadModel;

/// <summary>
/// The queries other services run over the Auditor's audit trail (its tables and columns are named only here and in the
/// Auditor). Reads only: the Auditor writes the trail and migrates its schema.
/// </summary>
public sealed partial class AuditTrailReader(NpgsqlDataSource dataSource)
{
    private const string RootJobsWhere = """
        WHERE ($1::text IS NULL OR platform = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR schedule = $3)
          AND ($4::timestamptz IS NULL OR started_at >= $4) AND ($5::timestamptz IS NULL OR started_at < $5)
          AND ($8::text[] IS NULL OR platform = ANY($8))
          AND ($6::text IS NULL AND $7::text IS NULL
               OR replace(root_job_id::text, '-', '') LIKE $7
               OR settings::text ILIKE $6 OR error ILIKE $6
               OR EXISTS (SELECT 1 FROM child_jobs c WHERE c.root_job_id = root_jobs.root_job_id AND c.error IS NOT NULL AND c.error ILIKE $6))
        """;

    /// <summary>Audited root jobs matching the filter, newest start first (then by id), one page of them.</summary>
    public async Task<AuditPage<AuditedRootJob>> RootJobsAsync(AuditedRootJobFilter filter, CancellationToken cancellationToken)
    {
        void Bind(NpgsqlParameterCollection p)
        {
            p.Add(new() { Value = (object?)filter.Platform ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.Schedule ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.StartedFrom ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            p.Add(new() { Value = (object?)filter.StartedBefore ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            var search = JobSearch.Of(filter.Text);
            p.Add(new() { Value = (object?)search?.TextPattern ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)search?.IdPattern ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.Platforms?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        }

        var total = (await ListAsync($"SELECT count(*) FROM root_jobs {RootJobsWhere}", Bind, r => r.GetInt64(0), cancellationToken)).FirstOrDefault();
        var items = await ListAsync($"""
            SELECT root_job_id, platform, status, schedule, total, completed, failed, started_at, finished_at, duration_ms, error
            FROM root_jobs {RootJobsWhere} ORDER BY started_at DESC, root_job_id LIMIT $9 OFFSET $10
            """, p =>
            {
                Bind(p);
                p.Add(new() { Value = filter.PageSize });
                p.Add(new() { Value = (filter.Page - 1L) * filter.PageSize });
            },
            ReadRootJob, cancellationToken);
        return new AuditPage<AuditedRootJob>(items, total);
    }

    private static AuditedRootJob ReadRootJob(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.GetInt64(5),
            r.GetInt64(6), r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8),
            r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetString(10));

    /// <summary>The generations of a root's audited children (the entry run, generation 0, left out), in order.</summary>
    public Task<IReadOnlyList<AuditedGeneration>> GenerationsAsync(Guid rootJobId, CancellationToken cancellationToken) =>
        ListAsync("""
            SELECT c.generation, count(*), count(*) FILTER (WHERE c.status = 'Failed'), min(c.started_at), max(c.finished_at),
                   extract(epoch FROM (max(c.finished_at) - min(r.started_at)))::float8
            FROM child_jobs c JOIN root_jobs r ON r.root_job_id = c.root_job_id
            WHERE c.root_job_id = $1 AND c.generation > 0 GROUP BY c.generation ORDER BY c.generation
            """, p => p.Add(new() { Value = rootJobId }),
            r => new AuditedGeneration(r.GetInt32(0), r.GetInt64(1), r.GetInt64(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4),
                r.GetDouble(5)),
            cancellationToken);

    /// <summary>A root's failed children, in the order they finished, one page of them (<paramref name="page"/> counts from 1).</summary>
    public async Task<AuditPage<AuditedChildFailure>> FailuresAsync(Guid rootJobId, int page, int pageSize, CancellationToken cancellationToken)
    {
        var total = (await ListAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND status = 'Failed'",
            p => p.Add(new() { Value = rootJobId }), r => r.GetInt64(0), cancellationToken)).FirstOrDefault();
        var items = await ListAsync("""
            SELECT child_job_id, parent_job_id, generation, task, error, attempts, finished_at FROM child_jobs
            WHERE root_job_id = $1 AND status = 'Failed' ORDER BY finished_at, child_job_id LIMIT $2 OFFSET $3
            """, p =>
            {
                p.Add(new() { Value = rootJobId });
                p.Add(new() { Value = pageSize });
                p.Add(new() { Value = (page - 1L) * pageSize });
            },
            r => new AuditedChildFailure(r.GetGuid(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt32(5),
                r.GetFieldValue<DateTimeOffset>(6)),
            cancellationToken);
        return new AuditPage<AuditedChildFailure>(items, total);
    }

    /// <summary>The settings the audit recorded for a root job (secrets already masked by the Auditor), or null when it holds none.</summary>
    public async Task<JsonElement?> SettingsAsync(Guid rootJobId, CancellationToken cancellationToken) =>
        (await ListAsync("SELECT settings::text FROM root_jobs WHERE root_job_id = $1 AND settings IS NOT NULL",
            p => p.Add(new() { Value = rootJobId }), r => (JsonElement?)ParseClone(r.GetString(0)), cancellationToken))
        .FirstOrDefault();

    /// <summary>The trace id (32 hex digits) of a root job's trace, as recorded from its <c>RootJobStarted</c>, or null.</summary>
    public async Task<string?> TraceIdAsync(Guid rootJobId, CancellationToken cancellationToken) =>
        (await ListAsync("SELECT trace_id FROM root_jobs WHERE root_job_id = $1 AND trace_id IS NOT NULL",
            p => p.Add(new() { Value = rootJobId }), r => r.GetString(0), cancellationToken))
        .FirstOrDefault();

    private static JsonElement ParseClone(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The rows of a query; before the Auditor has created its tables (undefined table) there are none.</summary>
    private async Task<IReadOnlyList<T>> ListAsync<T>(string sql, Action<NpgsqlParameterCollection> bind, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand(sql);
            bind(command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken)) rows.Add(read(reader));
            return rows;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return [];
        }
    }
}
