using Npgsql;
using NpgsqlTypes;

namespace Jobs.Plugins.Movies;

/// <summary>A row of <c>movie_report</c>.</summary>
internal sealed record MovieReportRow(
    string Title, long Budget, int? Year, long Revenue, double Ratio, double? Rating, string? ProductionCompany, string? Url, string? Abstract);

/// <summary>What a load records beside the report (table <c>movie_report_loads</c>).</summary>
internal sealed record MovieReportLoad(
    Guid RootJobId, long RowsRead, long Qualifying, long Malformed, int Matched, long Documents, string MoviesVersion, string AbstractsVersion);

/// <summary>
/// The table <c>movie_report</c> and its replacement. A load streams the new rows with binary COPY into a staging
/// table, then replaces the report's rows in the same transaction: readers keep seeing the previous report
/// (MVCC, no lock they wait on) until the commit shows them the whole new one, and a load that fails at any
/// point rolls back to the previous report. Loads are serialised by an advisory lock; each records itself in
/// <c>movie_report_loads</c> in the same transaction, stamped after the lock is held, so the latest load is the job whose
/// rows the report holds (<c>loadedBy</c> of the API).
/// </summary>
internal static class MovieReportStore
{
    public const string Table = "movie_report";
    private const long LockKey = 0x6d6f766965735f72; // "movies_r"

    public static Task EnsureAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        PostgresSchema.ApplyAsync(postgres, "movies-schema", Schema, cancellationToken);

    private const string Schema = """
            CREATE TABLE IF NOT EXISTS movie_report (
                title              text             NOT NULL,
                budget             bigint           NOT NULL,
                year               integer,
                revenue            bigint           NOT NULL,
                ratio              double precision NOT NULL,
                rating             double precision,
                production_company text,
                url                text,
                abstract           text
            );
            CREATE TABLE IF NOT EXISTS movie_report_loads (
                root_job_id        uuid             PRIMARY KEY,
                loaded_at          timestamptz      NOT NULL DEFAULT now(),
                rows               integer          NOT NULL,
                matched            integer          NOT NULL,
                rows_read          bigint           NOT NULL,
                qualifying         bigint           NOT NULL,
                malformed          bigint           NOT NULL,
                documents          bigint           NOT NULL,
                movies_version     text             NOT NULL,
                abstracts_version  text             NOT NULL
            );
            """;

    /// <summary>Replaces the report with <paramref name="rows"/> atomically; returns how many rows it holds now.</summary>
    public static async Task<int> ReplaceAsync(NpgsqlDataSource postgres, IEnumerable<MovieReportRow> rows, MovieReportLoad load,
        CancellationToken cancellationToken)
    {
        await using var connection = await postgres.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        await Execute(connection, "CREATE TEMP TABLE movie_report_staging (LIKE movie_report) ON COMMIT DROP", cancellationToken);

        var count = 0;
        await using (var writer = await connection.BeginBinaryImportAsync(
                         "COPY movie_report_staging (title, budget, year, revenue, ratio, rating, production_company, url, abstract) FROM STDIN (FORMAT BINARY)",
                         cancellationToken))
        {
            foreach (var row in rows)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(row.Title, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Budget, NpgsqlDbType.Bigint, cancellationToken);
                await WriteNullableAsync(writer, row.Year, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(row.Revenue, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(row.Ratio, NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, row.Rating, NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(writer, row.ProductionCompany, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(writer, row.Url, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(writer, row.Abstract, NpgsqlDbType.Text, cancellationToken);
                count++;
            }

            await writer.CompleteAsync(cancellationToken);
        }

        if (count == 0) throw new InvalidOperationException("No movie qualified for the report; the previous report is kept");

        await Execute(connection, """
            DELETE FROM movie_report;
            INSERT INTO movie_report SELECT * FROM movie_report_staging;
            """, cancellationToken);
        await using (var record = new NpgsqlCommand("""
                         INSERT INTO movie_report_loads
                             (root_job_id, loaded_at, rows, matched, rows_read, qualifying, malformed, documents, movies_version, abstracts_version)
                         VALUES ($1, clock_timestamp(), $2, $3, $4, $5, $6, $7, $8, $9)
                         ON CONFLICT (root_job_id) DO UPDATE SET loaded_at = EXCLUDED.loaded_at, rows = EXCLUDED.rows, matched = EXCLUDED.matched,
                             rows_read = EXCLUDED.rows_read, qualifying = EXCLUDED.qualifying, malformed = EXCLUDED.malformed,
                             documents = EXCLUDED.documents, movies_version = EXCLUDED.movies_version,
                             abstracts_version = EXCLUDED.abstracts_version
                         """, connection))
        {
            record.Parameters.Add(new() { Value = load.RootJobId });
            record.Parameters.Add(new() { Value = count });
            record.Parameters.Add(new() { Value = load.Matched });
            record.Parameters.Add(new() { Value = load.RowsRead });
            record.Parameters.Add(new() { Value = load.Qualifying });
            record.Parameters.Add(new() { Value = load.Malformed });
            record.Parameters.Add(new() { Value = load.Documents });
            record.Parameters.Add(new() { Value = load.MoviesVersion });
            record.Parameters.Add(new() { Value = load.AbstractsVersion });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return count;
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : struct =>
        value is { } v ? writer.WriteAsync(v, type, cancellationToken) : writer.WriteNullAsync(cancellationToken);

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is not null ? writer.WriteAsync(value, type, cancellationToken) : writer.WriteNullAsync(cancellationToken);

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
