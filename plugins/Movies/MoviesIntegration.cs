using Jobs.JobTree;
using Jobs.Plugins.Http;
using Jobs.Plugins.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Prometheus;

namespace Jobs.Plugins.Movies;

/// <summary>
/// Movies ETL: the entry run spawns two downloads (the abstracts dump and the movies metadata) that run in
/// parallel, and continues with <c>load</c> once both have finished: select the top movies by budget/revenue,
/// match them to Wikipedia abstracts, replace <c>movie_report</c> atomically. A job with a <c>storage</c> target gets the
/// report's rows upserted there instead; the entry opens and creates (or checks) the target, so a target that is not allowed
/// or does not fit fails the job before anything is downloaded.
/// </summary>
public sealed class MoviesIntegration(PoliteHttpFactory http, IOptions<MoviesOptions> options, StorageTargets storage) : Integration<MoviesSettings>
{
    public const string UserAgent = "jobs-platform-movies-etl/1.0";
    public const string DownloadAbstracts = "download-abstracts";
    public const string DownloadMovies = "download-movies";
    public const string Load = "load";

    private static readonly Counter DownloadedBytes = Metrics.CreateCounter("movies_downloaded_bytes_total",
        "Bytes the movies integration downloaded", "source");
    private static readonly Counter Unchanged = Metrics.CreateCounter("movies_downloads_unchanged_total",
        "Downloads skipped because the cached copy was still current", "source");
    private static readonly Histogram StepSeconds = Metrics.CreateHistogram("movies_step_seconds",
        "Duration of the movies ETL's steps", new HistogramConfiguration
        {
            LabelNames = ["step"],
            Buckets = Histogram.ExponentialBuckets(0.01, 2, 18),
        });
    private static readonly Gauge ReportRows = Metrics.CreateGauge("movies_report_rows", "Rows of movie_report after the last load", "kind");

    public override string Name => "movies";

    /// <summary>Without the load the job delivered nothing: <c>movie_report</c> still holds another run's data.</summary>
    public override IReadOnlyList<string> RequiredTasks => [Load];

    public override IReadOnlyList<string> Tasks => [JobTree.IntegrationTasks.Entry, DownloadAbstracts, DownloadMovies, Load];

    public override string DisplayName => "Movies ETL";

    public override string Description =>
        "Downloads the Wikipedia abstracts dump and the movies metadata, keeps the movies with the highest budget/revenue ratio, " +
        "matches them to their Wikipedia pages and replaces movie_report atomically (or upserts the rows into the job's storage target).";

    public override Task EnsureStorageAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        MovieReportStore.EnsureAsync(postgres, cancellationToken);

    public override async Task RunAsync(JobContext context)
    {
        var settings = context.SettingsAs<MoviesSettings>();
        switch (context.Task)
        {
            case JobTree.IntegrationTasks.Entry:
                // Reject unusable URLs and directories outside the allowed ones before anything runs.
                _ = Sources(settings);
                _ = CacheDirectory(settings);
                await using (var sink = await EnsureTargetAsync(context, settings))
                    if (sink is not null) context.Logger.LogInformation("The movie report of this job goes to {Target}", sink.Description);
                context.SpawnChild(DownloadAbstracts);
                context.SpawnChild(DownloadMovies);
                context.ContinueWith(Load);
                break;
            case DownloadAbstracts:
                await DownloadAsync(context, "abstracts", Sources(settings).Abstracts, settings);
                break;
            case DownloadMovies:
                await DownloadAsync(context, "movies", Sources(settings).Movies, settings);
                break;
            case Load:
                await LoadAsync(context, settings);
                break;
            default:
                throw new InvalidOperationException($"movies has no task '{context.Task}'");
        }
    }

    private async Task DownloadAsync(JobContext context, string name, Uri source, MoviesSettings settings)
    {
        using var timer = StepSeconds.WithLabels("download-" + name).NewTimer();
        var local = await Cache(settings).FetchAsync(source, p => context.ReportProgressAsync(
            p.Total is > 0 ? 100.0 * p.Bytes / p.Total.Value : 0,
            $"{name}: {p.Bytes / (1024 * 1024)} MiB of {(p.Total is { } t ? $"{t / (1024 * 1024)} MiB" : "?")}"), context.CancellationToken);
        // Both counters of the source exist once it was read (at 0 for the one that did not apply), so rates see its first change.
        var (downloaded, unchanged) = (DownloadedBytes.WithLabels(name), Unchanged.WithLabels(name));
        if (local.Fetched) downloaded.Inc(local.Length);
        else unchanged.Inc();
        await context.ReportProgressAsync(100, local.Fetched
            ? $"{name}: downloaded {local.Length} bytes ({local.Version})"
            : $"{name}: unchanged, {local.Length} bytes in the cache ({local.Version})");
    }

    private async Task LoadAsync(JobContext context, MoviesSettings settings)
    {
        using var timer = StepSeconds.WithLabels("load").NewTimer();
        // The target first (it may have gone since the entry checked it), before any download this process may need.
        await using var sink = await EnsureTargetAsync(context, settings);
        var cache = Cache(settings);
        var (abstractsUrl, moviesUrl) = Sources(settings);
        // Normally the downloads left both in the cache; a process without them (another host) fetches its own.
        var movies = cache.Cached(moviesUrl) ?? await cache.FetchAsync(moviesUrl, null, context.CancellationToken);
        var abstracts = cache.Cached(abstractsUrl) ?? await cache.FetchAsync(abstractsUrl, null, context.CancellationToken);
        var result = await MoviesEtl.RunAsync(context.Postgres, movies, abstracts, settings, context.RootJobId, (percent, message) => context.ReportProgressAsync(percent, message),
            context.Logger, context.CancellationToken, Limits, sink);

        var selection = result.Selection;
        foreach (var (reason, count) in selection.MalformedByReason)
            context.Logger.LogWarning("Skipped {Count} malformed movie rows: {Reason}", count, reason);
        foreach (var sample in selection.MalformedSamples.Take(5))
            context.Logger.LogInformation("Malformed movie row {Sample}", sample);
        StepSeconds.WithLabels("select").Observe(result.SelectTime.TotalSeconds);
        StepSeconds.WithLabels("match").Observe(result.ScanTime.TotalSeconds);
        if (sink is null)
        {
            ReportRows.WithLabels("rows").Set(result.Loaded);
            ReportRows.WithLabels("matched").Set(result.Scan.Matched);
        }
        else context.Logger.LogInformation("The movie report's {Rows} rows went to {Target}", result.Loaded, sink.Description);

        await context.ReportProgressAsync(100,
            $"{(sink is null ? "movie_report holds" : $"{sink.Description} got")} {result.Loaded} movies ({result.Scan.Matched} with a Wikipedia page); {selection.RowsRead} rows read, " +
            $"{selection.Qualifying} qualifying, {selection.Malformed} malformed; {result.Scan.BytesScanned / (1024 * 1024)} MiB of abstracts " +
            $"in {result.ScanTime.TotalSeconds:F1} s", rows: result.Loaded);
    }

    /// <summary>
    /// The sink of the job's <c>storage</c>, its table (or file) created or checked, or null when the job names none (the report goes
    /// to <c>movie_report</c>). A target that is unknown, not allowed, unreachable or does not fit throws, naming it.
    /// </summary>
    private async Task<IRecordSink?> EnsureTargetAsync(JobContext context, MoviesSettings settings)
    {
        if (!MovieReportTarget.IsNamed(settings.Storage)) return null;
        var sink = storage.Open(settings.Storage, MovieReportTarget.Table, context.Postgres);
        try
        {
            await sink.EnsureAsync(context.CancellationToken);
        }
        catch
        {
            await sink.DisposeAsync();
            throw;
        }

        return sink;
    }

    // Downloads go where the outbound policy of "movies" allows, like every request made for a job.
    private SourceCache Cache(MoviesSettings settings) => new(http.DownloadsFor(Name, UserAgent), CacheDirectory(settings))
    {
        MaxBytes = Limits.MaxDownloadBytes,
        MinFreeBytes = Limits.MinFreeDiskBytes,
    };

    private MoviesLimits Limits => options.Value;

    /// <summary>The service's own cache directory (<c>Movies:CacheDirectory</c>, else one under the temporary folder).</summary>
    private string ConfiguredCacheDirectory() => Path.GetFullPath(options.Value.CacheDirectory is { Length: > 0 } configured
        ? configured
        : Path.Combine(Path.GetTempPath(), "jobs-movies"));

    /// <summary>
    /// Where this job keeps its downloads: the service's cache directory, or the job's <c>cache_dir</c> when that lies in
    /// the service's cache directory or in one of <c>Movies:AllowedDirectories</c> (a job must not make the service write
    /// wherever it likes).
    /// </summary>
    private string CacheDirectory(MoviesSettings settings)
    {
        var configured = ConfiguredCacheDirectory();
        if (settings.CacheDir is not { Length: > 0 } requested) return configured;
        var directory = Path.GetFullPath(requested);
        var allowed = AllowedDirectories();
        return IsWithin(directory, configured) || allowed.Any(a => IsWithin(directory, a))
            ? directory
            : throw new ArgumentException($"cache_dir '{requested}' is neither in Movies:CacheDirectory ({configured}) nor in one of " +
                $"Movies:AllowedDirectories ({Describe(allowed)})");
    }

    /// <summary>Directories a job may name: <c>file://</c> sources are read only from them, <c>cache_dir</c> may lie in them.</summary>
    private List<string> AllowedDirectories() =>
        options.Value.AllowedDirectories.Where(d => !string.IsNullOrWhiteSpace(d)).Select(Path.GetFullPath).ToList();

    private (Uri Abstracts, Uri Movies) Sources(MoviesSettings settings) =>
        (Source(settings.AbstractsUrl, "abstracts_url"), Source(settings.MoviesUrl, "movies_url"));

    private Uri Source(string value, string setting)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "file"))
            throw new ArgumentException($"{setting} '{value}' is not an http://, https:// or file:// URL");
        if (!uri.IsFile) return uri;
        // A job must not read whatever file the service can: local sources only from the directories the operator allowed.
        var path = Path.GetFullPath(uri.LocalPath);
        var allowed = AllowedDirectories();
        return allowed.Any(directory => IsWithin(path, directory))
            ? uri
            : throw new ArgumentException($"{setting} '{value}' is not in one of Movies:AllowedDirectories ({Describe(allowed)})");
    }

    private static bool IsWithin(string path, string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(directory);
        return path.Equals(root, StringComparison.Ordinal)
               || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
               || root == Path.GetPathRoot(root) && path.StartsWith(root, StringComparison.Ordinal);
    }

    private static string Describe(IReadOnlyCollection<string> directories) =>
        directories.Count == 0 ? "none is configured" : string.Join(", ", directories);
}
