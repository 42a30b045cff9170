using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Reporting.Data;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

namespace Jobs.Reporting.Queries;

public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

public sealed record JobSummary(
    Guid Id, string Platform, string Status, string? Schedule, ChildCounts Children, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    long? DurationMs, string? Error);

public sealed record JobProgress(double Percent, string? Message, long Rows, DateTimeOffset? UpdatedAt);

/// <summary>One generation of children: how many, how many failed, and seconds from the root's start until all had finished.</summary>
public sealed record GenerationTiming(int Generation, long Children, long Failed, DateTimeOffset FirstStartedAt, DateTimeOffset LastFinishedAt,
    double SecondsFromStart);

public sealed record ChildFailure(Guid ChildJobId, Guid ParentJobId, int Generation, string Task, string? Error, int Attempts, DateTimeOffset FinishedAt);

public sealed record JobDataset(Guid JobId, string Name, JsonElement Data);

/// <summary>The filters of <c>GET /jobs</c>.</summary>
public sealed record JobFilter(string? Platform, string? Status, string? Schedule, DateTimeOffset? From, DateTimeOffset? To, int Page, int PageSize);

/// <summary>
/// Reads what the API shows about jobs beyond the live read model: the Auditor's audit trail in PostgreSQL (a
/// read-only view; the Auditor owns and migrates those tables) and the progress and datasets runs keep in Redis.
/// </summary>
public sealed class JobQueries(NpgsqlDataSource postgres, IConnectionMultiplexer redis)
{
    public const int MaxPageSize = 500;

    public async Task<Paged<JobSummary>> ListAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        const string where = """
            WHERE ($1::text IS NULL OR platform = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR schedule = $3)
              AND ($4::timestamptz IS NULL OR started_at >= $4) AND ($5::timestamptz IS NULL OR started_at < $5)
            """;
        void Bind(NpgsqlParameterCollection p)
        {
            p.Add(new() { Value = (object?)filter.Platform ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.Schedule ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            p.Add(new() { Value = (object?)filter.From ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            p.Add(new() { Value = (object?)filter.To ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        }

        var total = (await DataReader.ListAsync(postgres, $"SELECT count(*) FROM root_jobs {where}", Bind, r => r.GetInt64(0), cancellationToken))
            .FirstOrDefault();
        var items = await DataReader.ListAsync(postgres, $"""
            SELECT root_job_id, platform, status, schedule, total, completed, failed, started_at, finished_at, duration_ms, error
            FROM root_jobs {where} ORDER BY started_at DESC, root_job_id LIMIT $6 OFFSET $7
            """, p =>
            {
                Bind(p);
                p.Add(new() { Value = filter.PageSize });
                p.Add(new() { Value = (filter.Page - 1L) * filter.PageSize });
            },
            r => new JobSummary(r.GetGuid(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                new ChildCounts(r.GetInt64(4), r.GetInt64(5), r.GetInt64(6)), r.GetFieldValue<DateTimeOffset>(7),
                r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetString(10)),
            cancellationToken);
        return new Paged<JobSummary>(items, filter.Page, filter.PageSize, total);
    }

    /// <summary>Progress: the share of counted children (or the latest run's own percent before any is counted), the latest message and the rows.</summary>
    public async Task<JobProgress> ProgressAsync(Guid id, ChildCounts counts, string status, CancellationToken cancellationToken)
    {
        var reported = await Runs.ProgressAsync(redis.GetDatabase(), id);
        cancellationToken.ThrowIfCancellationRequested();
        double percent = status is JobStatus.Completed or JobStatus.CompletedWithFailures ? 100
            : counts.Total > 0 ? Math.Round(100.0 * (counts.Completed + counts.Failed) / counts.Total, 1)
            : 0;
        return new JobProgress(percent, reported.Message, reported.Rows, reported.At);
    }

    public Task<IReadOnlyList<GenerationTiming>> GenerationsAsync(Guid id, CancellationToken cancellationToken) =>
        DataReader.ListAsync(postgres, """
            SELECT c.generation, count(*), count(*) FILTER (WHERE c.status = 'Failed'), min(c.started_at), max(c.finished_at),
                   extract(epoch FROM (max(c.finished_at) - min(r.started_at)))::float8
            FROM child_jobs c JOIN root_jobs r ON r.root_job_id = c.root_job_id
            WHERE c.root_job_id = $1 AND c.generation > 0 GROUP BY c.generation ORDER BY c.generation
            """, p => p.Add(new() { Value = id }),
            r => new GenerationTiming(r.GetInt32(0), r.GetInt64(1), r.GetInt64(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4),
                Math.Round(r.GetDouble(5), 3)),
            cancellationToken);

    public async Task<Paged<ChildFailure>> FailuresAsync(Guid id, int page, int pageSize, CancellationToken cancellationToken)
    {
        var total = (await DataReader.ListAsync(postgres, "SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND status = 'Failed'",
            p => p.Add(new() { Value = id }), r => r.GetInt64(0), cancellationToken)).FirstOrDefault();
        var items = await DataReader.ListAsync(postgres, """
            SELECT child_job_id, parent_job_id, generation, task, error, attempts, finished_at FROM child_jobs
            WHERE root_job_id = $1 AND status = 'Failed' ORDER BY finished_at, child_job_id LIMIT $2 OFFSET $3
            """, p =>
            {
                p.Add(new() { Value = id });
                p.Add(new() { Value = pageSize });
                p.Add(new() { Value = (page - 1L) * pageSize });
            },
            r => new ChildFailure(r.GetGuid(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt32(5),
                r.GetFieldValue<DateTimeOffset>(6)),
            cancellationToken);
        return new Paged<ChildFailure>(items, page, pageSize, total);
    }

    /// <summary>For a platform whose runs replace a table (movies: <c>movie_report</c>), which job's data it holds now; null for the others.</summary>
    public async Task<TableData?> TableDataAsync(string platform, Guid job, CancellationToken cancellationToken) => platform switch
    {
        "movies" => await TableData.MovieReportAsync(postgres, job, cancellationToken),
        _ => null,
    };

    /// <summary>The settings the audit recorded for a job (secrets masked), or <c>{}</c>.</summary>
    public async Task<JsonElement> SettingsAsync(Guid id, CancellationToken cancellationToken) =>
        (await DataReader.ListAsync(postgres, "SELECT settings::text FROM root_jobs WHERE root_job_id = $1 AND settings IS NOT NULL",
            p => p.Add(new() { Value = id }), r => JsonDocument.Parse(r.GetString(0)).RootElement.Clone(), cancellationToken))
        .DefaultIfEmpty(JsonDocument.Parse("{}").RootElement.Clone()).First();

    public async Task<IReadOnlyList<JobDataset>> DatasetsAsync(Guid id)
    {
        var datasets = await Runs.DatasetsAsync(redis.GetDatabase(), id);
        return datasets.Select(d => new JobDataset(d.JobId, d.Name, JsonDocument.Parse(d.Json).RootElement.Clone())).ToList();
    }
}
