using System.Security.Claims;
using Jobs.Auditor.ReadModel;
using Jobs.Reporting.Security;

namespace Jobs.Reporting.DataAudits;

public sealed record DataAuditPoint(Guid RootJobId, DateTimeOffset MeasuredAt, double Value, double? PreviousValue, bool AuditFailed);

public sealed record DataAuditSeries(string Platform, string Dataset, string Subject, IReadOnlyList<DataAuditPoint> Points);

public sealed record DataAuditFailure(Guid RootJobId, string Platform, string Dataset, string Subject, double Value, double? PreviousValue,
    DateTimeOffset MeasuredAt);

public sealed record DataAuditsResponse(IReadOnlyList<DataAuditSeries> Series, IReadOnlyList<DataAuditFailure> Failures);

/// <summary><c>GET /data-audits</c>: the figures runs measured about their data, per series, and the audits that failed.</summary>
public static class DataAuditsEndpoints
{
    public static IEndpointRouteBuilder MapDataAuditsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/data-audits", GetAsync).WithName("GetDataAudits").RequireAuthorization(Operations.Read)
            .WithDescription("The data audits (the Auditor's measurements): one series per platform, dataset and subject with its latest " +
                             $"{AuditTrailReader.MaxPointsPerSeries} points oldest first (value, the previous run's value it was compared with, " +
                             $"whether the audit failed), and the latest {AuditTrailReader.MaxAuditFailures} failed audits newest first. Filters " +
                             "(all optional): platform, dataset, from (inclusive) and to (exclusive) on the time measured. A key scoped to " +
                             "platforms sees only theirs.");
        return app;
    }

    private static async Task<IResult> GetAsync(AuditTrailReader audit, ClaimsPrincipal user, CancellationToken cancellationToken, string? platform = null,
        string? dataset = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (from is not null && to is not null && from >= to)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["must be later than from"] }, title: "The data audit query is invalid");
        var filter = new AuditedMeasurementFilter(Blank(platform), Blank(dataset), from, to, KeyScope.Platforms(user));
        var points = audit.MeasurementsAsync(filter, cancellationToken);
        var failures = audit.AuditFailuresAsync(filter, cancellationToken);
        await Task.WhenAll(points, failures);
        var series = (await points)
            .GroupBy(m => (m.Platform, m.Dataset, m.Subject))
            .Select(g => new DataAuditSeries(g.Key.Platform, g.Key.Dataset, g.Key.Subject,
                g.Select(m => new DataAuditPoint(m.RootJobId, m.MeasuredAt, m.Value, m.PreviousValue, m.AuditFailed)).ToList()))
            .ToList();
        return Results.Ok(new DataAuditsResponse(series,
            (await failures).Select(m => new DataAuditFailure(m.RootJobId, m.Platform, m.Dataset, m.Subject, m.Value, m.PreviousValue, m.MeasuredAt)).ToList()));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
