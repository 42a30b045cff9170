using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Jobs.Plugins.Http;
using Jobs.Plugins.Storage;
using Jobs.ServiceDefaults;
using Npgsql;

namespace Jobs.Plugins.Movies;

/// <summary>What a transform-and-load run did.</summary>
public sealed record MoviesEtlResult(MovieSelection Selection, AbstractsScan Scan, int Loaded, TimeSpan SelectTime, TimeSpan ScanTime);

/// <summary>
/// Transform and load: pick the top movies from the metadata file in one streaming pass, match them to their
/// Wikipedia pages in one streaming pass over the abstracts dump, and replace <c>movie_report</c> atomically.
/// Neither input is held in memory.
/// </summary>
public static class MoviesEtl
{
    private const string MetadataEntry = "movies_metadata.csv";

    /// <summary>
    /// Selects, matches and loads. The load (in memory by then) is retried on transient database errors (a pooled connection
    /// from before a PostgreSQL restart failing with 57P01, a refused connection during a fail-over) with back-off for
    /// <see cref="TransientRetry.Step"/>; any other error, or one that outlasts it, fails the load and keeps the previous report.
    /// With a <paramref name="sink"/> (the job's <c>storage</c>) the rows are upserted there in one call instead, and neither
    /// <c>movie_report</c> nor <c>movie_report_loads</c> is touched.
    /// </summary>
    public static async Task<MoviesEtlResult> RunAsync(
        NpgsqlDataSource postgres, LocalSource movies, LocalSource abstracts, MoviesSettings settings, Guid rootJobId,
        Func<double, string, Task>? progress, ILogger logger, CancellationToken cancellationToken, MoviesLimits? limits = null, IRecordSink? sink = null)
    {
        limits ??= new MoviesLimits();
        var watch = Stopwatch.StartNew();
        var selection = await Task.Factory.StartNew(
            () => SelectMovies(movies.Path, settings, cancellationToken, limits), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var selectTime = watch.Elapsed;
        if (selection.Movies.Count == 0)
            throw new InvalidDataException(
                $"movies metadata {movies.Path}: no movie has a budget of at least {settings.MinBudget} and a revenue of at least " +
                $"{settings.MinRevenue} among {selection.RowsRead} rows ({selection.Malformed} malformed); the previous report is kept");
        if (progress is not null)
            await progress(5, $"{selection.Movies.Count} of {selection.Qualifying} qualifying movies selected from {selection.RowsRead} rows ({selection.Malformed} malformed)");

        watch.Restart();
        var scan = await Task.Factory.StartNew(
            () => MatchAbstracts(abstracts.Path, selection.Movies, progress, cancellationToken, limits),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var scanTime = watch.Elapsed;
        if (progress is not null) await progress(95, $"{scan.Matched} of {selection.Movies.Count} movies matched to Wikipedia pages among {scan.Documents} documents");

        var rows = selection.Movies.Select((movie, i) => new MovieReportRow(movie.Title, movie.Budget, movie.Year, movie.Revenue, movie.Ratio,
            movie.Rating, movie.ProductionCompany, scan.Matches[i]?.Url, scan.Matches[i]?.Abstract));
        var load = new MovieReportLoad(rootJobId, selection.RowsRead, selection.Qualifying, selection.Malformed, scan.Matched, scan.Documents,
            movies.Version, abstracts.Version);
        // A storage target gets the whole report in one upsert, one transaction: all of it or none (an upsert is safe to retry).
        var loaded = sink is null
            ? await TransientFaults.RetryAsync(token => new ValueTask<int>(MovieReportStore.ReplaceAsync(postgres, rows, load, token)),
                TransientRetry.Step, logger, "Loading movie_report", cancellationToken)
            : await TransientFaults.RetryAsync(token => new ValueTask<int>(sink.UpsertAsync(MovieReportTarget.Rows(selection.Movies, scan.Matches), token)),
                TransientRetry.Step, logger, "Writing the movie report to " + sink.Description, cancellationToken);
        return new MoviesEtlResult(selection, scan, loaded, selectTime, scanTime);
    }

    /// <summary>Selects the top movies from a CSV file or a zip holding <c>movies_metadata.csv</c> (inflated under <paramref name="limits"/>).</summary>
    public static MovieSelection SelectMovies(string path, MoviesSettings settings, CancellationToken cancellationToken, MoviesLimits? limits = null)
    {
        limits ??= new MoviesLimits();
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (!IsZip(file))
            {
                using var text = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
                return MovieSelector.Select(text, settings.Top, settings.MinBudget, settings.MinRevenue, cancellationToken);
            }

            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            var entry = zip.Entries.FirstOrDefault(e => string.Equals(e.Name, MetadataEntry, StringComparison.OrdinalIgnoreCase))
                        ?? throw new InvalidDataException(
                            $"the zip holds no {MetadataEntry}; it holds: {string.Join(", ", zip.Entries.Take(20).Select(e => e.FullName))}");
            // The entry's declared size may lie: it is checked first, and the inflated bytes are counted as they come.
            var limit = limits.DecompressedLimit(entry.CompressedLength);
            if (entry.Length > limit) throw new InvalidDataException(TooLarge(entry.FullName, $"declares {CappedStream.Bytes(entry.Length)}", limit, entry.CompressedLength));
            using var reader = new StreamReader(new CappedStream(entry.Open(), limit,
                read => TooLarge(entry.FullName, $"inflates to more than {CappedStream.Bytes(read - 1)}", limit, entry.CompressedLength)), Encoding.UTF8,
                detectEncodingFromByteOrderMarks: true, 1 << 16);
            return MovieSelector.Select(reader, settings.Top, settings.MinBudget, settings.MinRevenue, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"movies metadata {path}: {e.Message}", e);
        }
    }

    /// <summary>Streams the abstracts dump (gzipped or plain XML) once and matches the selected movies.</summary>
    public static AbstractsScan MatchAbstracts(string path, IReadOnlyList<Movie> movies, Func<double, string, Task>? progress,
        CancellationToken cancellationToken, MoviesLimits? limits = null)
    {
        limits ??= new MoviesLimits();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var length = Math.Max(1, file.Length);
        var limit = limits.DecompressedLimit(file.Length);
        using Stream xml = IsGzip(file)
            ? new CappedStream(new GZipStream(file, CompressionMode.Decompress), limit,
                read => TooLarge(Path.GetFileName(path), $"inflates to more than {CappedStream.Bytes(read - 1)}", limit, length))
            : file;
        var reported = Environment.TickCount64;
        try
        {
            return AbstractsScanner.Scan(xml, new TitleMatcher(movies), movies.Count, scanned =>
            {
                if (progress is null || Environment.TickCount64 - reported < 2000) return;
                reported = Environment.TickCount64;
                var share = (double)file.Position / length;
                // Progress is best effort: a slow Redis must not slow the scan.
                _ = progress(5 + 90 * share, $"scanned {scanned / (1024 * 1024)} MiB of abstracts ({share:P0} of the file)");
            }, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            // Also a gzip stream that is corrupt or cut short.
            throw new InvalidDataException($"abstracts dump {path} at byte {file.Position}: {e.Message}", e);
        }
    }

    private static string TooLarge(string what, string how, long limit, long compressed) =>
        $"{what} {how}, over the limit of {CappedStream.Bytes(limit)} for {CappedStream.Bytes(compressed)} compressed (Movies:MaxDecompressedBytes, MaxCompressionRatio)";

    private static bool IsZip(Stream file) => StartsWith(file, "PK\u0003\u0004"u8);

    private static bool IsGzip(Stream file) => StartsWith(file, [0x1f, 0x8b]);

    private static bool StartsWith(Stream file, ReadOnlySpan<byte> magic)
    {
        Span<byte> head = stackalloc byte[magic.Length];
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = 0;
        return read == magic.Length && head.SequenceEqual(magic);
    }
}
