using Npgsql;

namespace Jobs.Plugins.Movies;

public sealed record MovieReportItem(
    string Title, long Budget, int? Year, long Revenue, double Ratio, double? Rating, string? ProductionCompany, string? Url, string? Abstract);

/// <param name="LoadedAt">When the rows were loaded; null before the first load.</param>
/// <param name="LoadedBy">The root job whose load put these rows there (a later job whose load failed left them as they were).</param>
public sealed record MovieReportPage(long Total, int Page, int PageSize, string Sort, string Order, DateTimeOffset? LoadedAt,
    IReadOnlyList<MovieReportItem> Items, Guid? LoadedBy = null);

/// <summary>The load whose rows <c>movie_report</c> holds now: root job <paramref name="LoadedBy"/>'s, at <paramref name="LoadedAt"/>.</summary>
public sealed record LoadedReport(Guid LoadedBy, DateTimeOffset LoadedAt);

/// <summary><c>GET /data/movies</c>: the movies ETL's <c>movie_report</c>, sortable by any column, paged.</summary>
public static class MovieReportQueries
{
    public const int MaxPageSize = 500;

    /// <summary>Sortable columns (query value = column name) and the direction each sorts by default.</summary>
    private static readonly Dictionary<string, string> Columns = new(StringComparer.Ordinal)
    {
        ["ratio"] = "desc",
        ["budget"] = "desc",
        ["revenue"] = "desc",
        ["rating"] = "desc",
        ["year"] = "desc",
        ["title"] = "asc",
        ["production_company"] = "asc",
    };

    internal static void Map(IEndpointRouteBuilder data)
    {
        data.MapGet("/movies", ListAsync).WithName("MovieReport")
            .WithSummary("The movies ETL's report: movies with the highest budget/revenue ratio and their Wikipedia page")
            .WithDescription($"sort: {string.Join(", ", Columns.Keys)} (default ratio); order: asc or desc (default: desc for numbers, asc for text); " +
                             $"page from 1; pageSize 1-{MaxPageSize} (default 50). Empty until the movies integration has loaded a report. " +
                             "loadedBy and loadedAt name the job whose load the rows come from: a job whose load failed leaves the previous " +
                             "job's rows (and these fields) as they were.");
    }

    /// <summary>The latest load: the rows of <c>movie_report</c> are that job's (a load replaces them all in the transaction that records it).</summary>
    private const string LatestLoad = "SELECT root_job_id, loaded_at FROM movie_report_loads ORDER BY loaded_at DESC, root_job_id LIMIT 1";

    /// <summary>The table each movies load replaces.</summary>
    public const string Table = "movie_report";

    /// <summary>Which job's load <c>movie_report</c> holds now; null before the first load.</summary>
    public static async Task<LoadedReport?> LatestLoadAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        (await PostgresReads.ListAsync(postgres, LatestLoad, _ => { }, r => new LoadedReport(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1)),
            cancellationToken)).FirstOrDefault();

    private static async Task<IResult> ListAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken,
        string? sort = null, string? order = null, int? page = null, int? pageSize = null)
    {
        sort ??= "ratio";
        var errors = new Dictionary<string, string[]>();
        if (!Columns.TryGetValue(sort, out var defaultOrder)) errors["sort"] = [$"must be one of: {string.Join(", ", Columns.Keys)}"];
        order ??= defaultOrder ?? "desc";
        if (order is not ("asc" or "desc")) errors["order"] = ["must be asc or desc"];
        var number = page ?? 1;
        var size = pageSize ?? 50;
        if (number < 1) errors["page"] = ["must be at least 1"];
        if (size is < 1 or > MaxPageSize) errors["pageSize"] = [$"must be between 1 and {MaxPageSize}"];
        if (number > 1_000_000) errors["page"] = ["must be at most 1000000"];
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The movie report query is invalid");

        // One statement, so the count and the page come from the same snapshot even while a load replaces the report.
        var rows = await PostgresReads.ListAsync(postgres, $"""
            WITH total AS (SELECT count(*) AS n FROM movie_report),
                 loaded AS ({LatestLoad})
            SELECT total.n, loaded.loaded_at, m.title, m.budget, m.year, m.revenue, m.ratio, m.rating, m.production_company, m.url, m.abstract,
                   loaded.root_job_id
            FROM total LEFT JOIN loaded ON true
            LEFT JOIN LATERAL (
                SELECT * FROM movie_report
                ORDER BY {sort} {order} NULLS LAST, ratio DESC, title, year, budget
                LIMIT $1 OFFSET $2) m ON true
            """,
            p =>
            {
                p.Add(new NpgsqlParameter { Value = size });
                p.Add(new NpgsqlParameter { Value = (long)(number - 1) * size });
            },
            r => (Total: r.GetInt64(0), LoadedAt: r.IsDBNull(1) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(1),
                Item: r.IsDBNull(2)
                    ? null
                    : new MovieReportItem(r.GetString(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetInt32(4), r.GetInt64(5), r.GetDouble(6),
                        r.IsDBNull(7) ? null : r.GetDouble(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9),
                        r.IsDBNull(10) ? null : r.GetString(10)),
                LoadedBy: r.IsDBNull(11) ? (Guid?)null : r.GetGuid(11)),
            cancellationToken);

        var first = rows.Count > 0 ? rows[0] : default;
        return Results.Ok(new MovieReportPage(first.Total, number, size, sort, order, first.LoadedAt,
            rows.Where(r => r.Item is not null).Select(r => r.Item!).ToList(), first.LoadedBy));
    }
}
