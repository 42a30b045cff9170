using System.Text.Json;
using Jobs.Contracts;
using Jobs.Plugins.Http;
using Jobs.Platforms;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Plugins;

/// <summary>What a plugin gets for one run: its job, settings, cancellation, children, progress and the stores.</summary>
public sealed class JobContext(
    Guid rootJobId,
    ChildJob job,
    IRunReports reports,
    IConnectionMultiplexer redis,
    NpgsqlDataSource postgres,
    ILogger logger,
    CancellationToken cancellationToken,
    PoliteHttpClient? http = null)
{
    private readonly List<(string Task, JsonElement Settings)> _children = [];
    private readonly List<DataMeasurement> _measurements = [];

    public Guid RootJobId { get; } = rootJobId;

    public Guid JobId => job.ChildJobId;

    public Guid ParentJobId => job.ParentJobId;

    public int Generation => job.Generation;

    /// <summary><c>entry</c> for the root job's own run, otherwise the task its parent gave it.</summary>
    public string Task => job.Task;

    /// <summary>The settings: the validated root settings (defaults filled in) for the entry run, what the parent gave otherwise.</summary>
    public JsonElement Settings => job.Settings;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>A logger whose scope carries RootJobId and ChildJobId.</summary>
    public ILogger Logger { get; } = logger;

    public IDatabase Redis => redis.GetDatabase();

    public NpgsqlDataSource Postgres { get; } = postgres;

    /// <summary>
    /// HTTP for this integration: robots.txt, a per-host rate limit shared by every process, retries honouring
    /// <c>Retry-After</c>, timeouts, its User-Agent and per-host metrics (configured under <c>Integrations:Http</c>).
    /// </summary>
    public PoliteHttpClient Http => http ?? throw new InvalidOperationException($"job {JobId} was given no HTTP client");

    public IReadOnlyList<(string Task, JsonElement Settings)> Children => _children;

    public ContinuationJob? Continuation { get; private set; }

    public IReadOnlyList<DataMeasurement> Measurements => _measurements;

    public T SettingsAs<T>() => Settings.Deserialize<T>(SettingsJson.Options)
                                ?? throw new InvalidOperationException($"settings of job {JobId} are empty");

    /// <summary>Spawns a child of this job (sent when this run succeeds). <paramref name="settings"/> defaults to this job's settings.</summary>
    public void SpawnChild(string task, object? settings = null) => _children.Add((task, ToJson(settings)));

    /// <summary>Runs <paramref name="task"/> once, after every child spawned by this run (and their descendants) has finished.</summary>
    public void ContinueWith(string task, object? settings = null)
    {
        if (Continuation is not null) throw new InvalidOperationException("A job can have one continuation");
        Continuation = new ContinuationJob(task, ToJson(settings));
    }

    /// <summary>
    /// Records a figure about the data this run landed (e.g. <c>Measure("products", vendor, count)</c>). Sent with
    /// the run's outcome when it succeeds; the Auditor raises <c>DataAuditFailed</c> when it drops by more than
    /// the configured share since the previous run of the platform.
    /// </summary>
    public void Measure(string dataset, string subject, double value)
    {
        if (string.IsNullOrWhiteSpace(dataset) || string.IsNullOrWhiteSpace(subject))
            throw new ArgumentException("A measurement needs a dataset and a subject");
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, $"measurement {dataset}/{subject} is not a finite number");
        _measurements.Add(new DataMeasurement(dataset, subject, value));
    }

    /// <summary>Largest dataset <see cref="StoreDatasetAsync"/> keeps (JSON bytes).</summary>
    public const int MaxDatasetBytes = 1 << 20;

    /// <summary>
    /// Progress of this run, readable by operators and the API (<c>GET /jobs/{id}</c>): percent of this run,
    /// a message, and the rows it has processed so far (its latest figure counts, summed over the root's runs).
    /// </summary>
    public async Task ReportProgressAsync(double percent, string message, long rows = 0)
    {
        if (!double.IsFinite(percent) || percent is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(percent), percent, "percent must be 0..100");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        await reports.ReportProgressAsync(RootJobId, JobId, percent, message, rows, DateTimeOffset.UtcNow);
        Logger.LogInformation("Progress {Percent:F0}%: {Message} ({Rows} rows)", percent, message, rows);
    }

    /// <summary>
    /// Keeps a dataset of this run for debugging (e.g. <c>original</c> as fetched, <c>processed</c> as stored), shown
    /// by <c>GET /jobs/{id}?full=true</c> for as long as the job's details are kept. Never put secrets in it.
    /// </summary>
    public async Task StoreDatasetAsync(string name, object data)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/')) throw new ArgumentException($"dataset name '{name}' must be non-empty without '/'", nameof(name));
        var json = JsonSerializer.SerializeToUtf8Bytes(data, SettingsJson.Options);
        if (json.Length > MaxDatasetBytes)
            throw new ArgumentException($"dataset '{name}' of job {JobId} is {json.Length:N0} bytes; at most {MaxDatasetBytes:N0} are kept", nameof(data));
        await reports.StoreDatasetAsync(RootJobId, JobId, name, json);
    }

    private JsonElement ToJson(object? settings) => settings switch
    {
        null => Settings,
        JsonElement element => element,
        _ => JsonSerializer.SerializeToElement(settings, SettingsJson.Options),
    };
}
