using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting.Http;
using Jobs.Platforms;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>What a plugin gets for one run: its job, settings, cancellation, children, progress and the stores.</summary>
public sealed class JobContext(
    Guid rootJobId,
    ChildJob job,
    IConnectionMultiplexer redis,
    NpgsqlDataSource postgres,
    ILogger logger,
    CancellationToken cancellationToken,
    PoliteHttpClient? http = null)
{
    private readonly List<(string Task, JsonElement Settings)> _children = [];

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

    /// <summary>Progress of this run, readable by operators and the API.</summary>
    public async Task ReportProgressAsync(double percent, string message)
    {
        var value = JsonSerializer.Serialize(new { percent, message, at = DateTimeOffset.UtcNow });
        await Redis.HashSetAsync(JobState.Key(RootJobId) + ":progress", JobId.ToString("N"), value);
        Logger.LogInformation("Progress {Percent:F0}%: {Message}", percent, message);
    }

    private JsonElement ToJson(object? settings) => settings switch
    {
        null => Settings,
        JsonElement element => element,
        _ => JsonSerializer.SerializeToElement(settings, SettingsJson.Options),
    };
}
