using System.Text.Json;
using Jobs.Auditor.ReadModel;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Reporting.Data;
using Npgsql;
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
/// <param name="Text">The search text <c>q</c> (see <see cref="AuditedRootJobFilter.Text"/>).</param>
public sealed record JobFilter(string? Platform, string? Status, string? Schedule, DateTimeOffset? From, DateTimeOffset? To, int Page, int PageSize,
    string? Text = null, IReadOnlyList<string>? Platforms = null);

/// <summary>
/// Reads what the API shows about jobs beyond the live read model: the Auditor's audit trail (through the Auditor's read
/// model, <see cref="AuditTrailReader"/>) and the progress and datasets runs keep in Redis.
/// </summary>
public sealed class JobQueries(NpgsqlDataSource postgres, AuditTrailReader audit, IConnectionMultiplexer redis)
{
    public const int MaxPageSize = 500;

    public async Task<Paged<JobSummary>> ListAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        var page = await audit.RootJobsAsync(
            new AuditedRootJobFilter(filter.Platform, filter.Status, filter.Schedule, filter.From, filter.To, filter.Page, filter.PageSize, filter.Text,
                filter.Platforms), cancellationToken);
        var items = page.Items.Select(r => new JobSummary(r.RootJobId, r.Platform, r.Status, r.Schedule, new ChildCounts(r.Total, r.Completed, r.Failed),
            r.StartedAt, r.FinishedAt, r.DurationMs, r.Error)).ToList();
        return new Paged<JobSummary>(items, filter.Page, filter.PageSize, page.Total);
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

    public async Task<IReadOnlyList<GenerationTiming>> GenerationsAsync(Guid id, CancellationToken cancellationToken) =>
        (await audit.GenerationsAsync(id, cancellationToken))
        .Select(g => new GenerationTiming(g.Generation, g.Children, g.Failed, g.FirstStartedAt, g.LastFinishedAt, Math.Round(g.SecondsFromStart, 3)))
        .ToList();

    public async Task<Paged<ChildFailure>> FailuresAsync(Guid id, int page, int pageSize, CancellationToken cancellationToken)
    {
        var failures = await audit.FailuresAsync(id, page, pageSize, cancellationToken);
        var items = failures.Items.Select(f => new ChildFailure(f.ChildJobId, f.ParentJobId, f.Generation, f.Task, f.Error, f.Attempts, f.FinishedAt)).ToList();
        return new Paged<ChildFailure>(items, page, pageSize, failures.Total);
    }

    /// <summary>For a platform whose runs replace a table (movies: <c>movie_report</c>), which job's data it holds now; null for the others.</summary>
    public async Task<TableData?> TableDataAsync(string platform, Guid job, CancellationToken cancellationToken) => platform switch
    {
        "movies" => await TableData.MovieReportAsync(postgres, job, cancellationToken),
        _ => null,
    };

    /// <summary>The settings the audit recorded for a job (secrets masked), or <c>{}</c>.</summary>
    public async Task<JsonElement> SettingsAsync(Guid id, CancellationToken cancellationToken) =>
        await audit.SettingsAsync(id, cancellationToken) ?? JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The settings the audit recorded for a job (secrets masked), or null when it holds none (yet).</summary>
    public Task<JsonElement?> AuditedSettingsAsync(Guid id, CancellationToken cancellationToken) => audit.SettingsAsync(id, cancellationToken);

    /// <summary>The id of the job's trace (OpenTelemetry), as the audit trail recorded it when the job started; null before, or for a job without one.</summary>
    public Task<string?> TraceIdAsync(Guid id, CancellationToken cancellationToken) => audit.TraceIdAsync(id, cancellationToken);

    /// <summary>The jobs started to re-run the failed children of this one (their <c>retryOf</c>), oldest first.</summary>
    public Task<IReadOnlyList<Guid>> RetriesAsync(Guid id, CancellationToken cancellationToken) => audit.RetriesAsync(id, cancellationToken);

    public async Task<IReadOnlyList<JobDataset>> DatasetsAsync(Guid id)
    {
        var datasets = await Runs.DatasetsAsync(redis.GetDatabase(), id);
        return datasets.Select(d => new JobDataset(d.JobId, d.Name, JsonDocument.Parse(d.Json).RootElement.Clone())).ToList();
    }
}
