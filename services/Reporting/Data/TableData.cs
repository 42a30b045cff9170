using Jobs.Plugins.Movies;
using Npgsql;

namespace Jobs.Reporting.Data;

/// <summary>
/// Which run's data a table that each run replaces holds now: <paramref name="LoadedBy"/> (a root job id) at
/// <paramref name="LoadedAt"/>; <paramref name="HoldsThisJob"/> when that is the job asked about.
/// </summary>
public sealed record TableData(string Table, Guid? LoadedBy, DateTimeOffset? LoadedAt, bool HoldsThisJob)
{
    /// <summary>Which job's data <c>movie_report</c> holds now (as the movies plugin reads it), for the detail of movies job <paramref name="job"/>.</summary>
    public static async Task<TableData> MovieReportAsync(NpgsqlDataSource postgres, Guid job, CancellationToken cancellationToken)
    {
        var latest = await MovieReportQueries.LatestLoadAsync(postgres, cancellationToken);
        return new TableData(MovieReportQueries.Table, latest?.LoadedBy, latest?.LoadedAt, latest?.LoadedBy == job);
    }
}
