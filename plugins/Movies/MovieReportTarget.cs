using Jobs.Plugins.Storage;

namespace Jobs.Plugins.Movies;

/// <summary>
/// The report as rows of a job's storage target (<c>storage</c>), instead of the platform's <c>movie_report</c>: the report's
/// columns and the movie's TMDb id, which is the primary key. The report's own columns identify no row: two movies may share a
/// title and a year, and a movie without a release date has no year, which a key may not lack; the selection keeps each TMDb id
/// once, so the id is unique in every report.
/// </summary>
internal static class MovieReportTarget
{
    public static readonly RecordTable Table = new(MovieReportStore.Table,
    [
        new Column("tmdb_id", ColumnTypes.Integer),
        new Column("title", ColumnTypes.String),
        new Column("budget", ColumnTypes.Integer),
        new Column("year", ColumnTypes.Integer),
        new Column("revenue", ColumnTypes.Integer),
        new Column("ratio", ColumnTypes.Number),
        new Column("rating", ColumnTypes.Number),
        new Column("production_company", ColumnTypes.String),
        new Column("url", ColumnTypes.String),
        new Column("abstract", ColumnTypes.String),
    ], ["tmdb_id"]);

    /// <summary>Whether the job names a storage target (a <c>storage</c> with only settings is a mistake <see cref="StorageTargets"/> names).</summary>
    public static bool IsNamed(StorageSettings? storage) => storage is not null && (storage.IsSet || storage.Settings is not null);

    /// <summary>The selected movies with their matches (by position) as rows of <see cref="Table"/>.</summary>
    public static IReadOnlyList<IReadOnlyList<object?>> Rows(IReadOnlyList<Movie> movies, IReadOnlyList<PageMatch?> matches)
    {
        var rows = new List<IReadOnlyList<object?>>(movies.Count);
        for (var i = 0; i < movies.Count; i++)
        {
            var movie = movies[i];
            rows.Add([movie.Id, movie.Title, movie.Budget, movie.Year is { } year ? (long)year : null, movie.Revenue, movie.Ratio, movie.Rating,
                movie.ProductionCompany, matches[i]?.Url, matches[i]?.Abstract]);
        }

        return rows;
    }
}
