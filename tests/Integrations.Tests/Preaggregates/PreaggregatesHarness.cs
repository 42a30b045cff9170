using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Preaggregates;
using Jobs.Platforms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Tests.Preaggregates;

/// <summary>
/// Runs <c>preaggregates</c> jobs the way the Integrations host does (through <see cref="ChildJobRunner"/>: the entry,
/// then each spawned child, then the continuation) with configured sources and a clock the test sets. Every Redis key
/// it leads to (the test's own view, the hand-over hashes) is deleted at the end.
/// </summary>
public sealed class PreaggregatesHarness(PreaggregatesFixture fixture) : IAsyncDisposable
{
    private readonly List<Guid> _roots = [];
    private readonly PostgresPreaggregateReader _reader = new(Microsoft.Extensions.Options.Options.Create(new PreaggregatesOptions()));

    /// <summary>A suffix that keeps this test's source names (metric labels) and view apart from every other test's.</summary>
    public string Unique { get; } = Guid.NewGuid().ToString("N")[..10];

    public PreaggregatesOptions Options { get; } = new();

    public DateTimeOffset Now { get; set; } = DateTimeOffset.Parse("2024-05-02T12:00:00Z");

    public IDatabase Redis => fixture.Redis.GetDatabase();

    public string Name(string source) => $"{source}-{Unique}";

    public string View => $"test-{Unique}";

    /// <summary>A second view of this test, for runs over a subset of its sources.</summary>
    public string SubsetView => $"subset-{Unique}";

    /// <summary>Configures a source named <see cref="Name"/>(<paramref name="source"/>) and returns that name.</summary>
    public string Source(string source, string connectionString, string timeZone = "UTC", string[]? batchTables = null, string[]? dailyTables = null)
    {
        var name = Name(source);
        Options.Sources[name] = new PreaggregateSourceOptions
        {
            ConnectionString = connectionString,
            TimeZone = timeZone,
            BatchTables = (batchTables ?? []).Select(t => new PreaggregateTableOptions { Table = t }).ToList(),
            DailyTables = (dailyTables ?? []).Select(t => new PreaggregateTableOptions { Table = t }).ToList(),
        };
        return name;
    }

    internal PreaggregatesIntegration Integration() =>
        new(Microsoft.Extensions.Options.Options.Create(Options), [_reader], new RedisPreaggregatesWriter(fixture.Redis), new FixedClock(() => Now));

    /// <summary>Runs a whole job with <paramref name="settings"/> (validated against the platform's schema, as on submit).</summary>
    public async Task<JobRun> RunAsync(object? settings = null)
    {
        var integration = Integration();
        var validation = SettingsValidator.Validate(integration.Describe().Settings,
            JsonSerializer.SerializeToElement(settings ?? new { view = View }, SettingsJson.Options));
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));

        var root = Guid.NewGuid();
        _roots.Add(root);
        var runnerOptions = Microsoft.Extensions.Options.Options.Create(new IntegrationsOptions());
        var runner = new ChildJobRunner(new IntegrationRegistry([integration], runnerOptions), new RunningJobs(), fixture.Redis, fixture.Platform,
            runnerOptions, NullLogger<ChildJobRunner>.Instance);

        var entry = new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, validation.Settings);
        var entryRun = await runner.ExecuteAsync(root, integration.Name, entry, CancellationToken.None);
        if (!entryRun.Outcome.Succeeded) return new JobRun(entryRun.Outcome, [], null);

        var children = new List<ChildJobOutcome>();
        foreach (var child in entryRun.Spawned.SelectMany(batch => batch.Children))
            children.Add((await runner.ExecuteAsync(root, integration.Name, child, CancellationToken.None)).Outcome);
        var continuation = entryRun.Outcome.Continuation!;
        var synchronize = new ChildJob(JobIds.Continuation(entry.ChildJobId), entry.ChildJobId, entry.GroupId, entry.Generation + 1,
            continuation.Task, continuation.Settings);
        var last = (await runner.ExecuteAsync(root, integration.Name, synchronize, CancellationToken.None)).Outcome;
        return new JobRun(entryRun.Outcome, children, last);
    }

    /// <summary>Runs a job that must succeed and returns the document it published, as the reporting side reads it.</summary>
    public async Task<PreaggregatesMetadata> PublishAsync(object? settings = null, string? view = null)
    {
        var run = await RunAsync(settings);
        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        Assert.All(run.Children, c => Assert.True(c.Succeeded, c.Error));
        Assert.True(run.Synchronize!.Succeeded, run.Synchronize.Error);
        return await DocumentAsync(view ?? View);
    }

    public async Task<PreaggregatesMetadata> DocumentAsync(string view)
    {
        var json = await Redis.StringGetAsync(PreaggregatesKeys.Document(view));
        Assert.False(json.IsNullOrEmpty, $"nothing published for view {view}");
        return JsonSerializer.Deserialize<PreaggregatesMetadata>(json.ToString(), JsonSerializerOptions.Web)!;
    }

    /// <summary>A published string value, or null when the key is absent.</summary>
    public async Task<string?> ValueAsync(string key) => await Redis.StringGetAsync(key);

    public async ValueTask DisposeAsync()
    {
        foreach (var server in fixture.Redis.GetServers().Where(s => !s.IsReplica))
        foreach (var view in new[] { View, SubsetView })
            await foreach (var key in server.KeysAsync(pattern: $"preaggregates:{{{view}}}:*")) await Redis.KeyDeleteAsync(key);
        foreach (var root in _roots) await Redis.KeyDeleteAsync(SourceReadings.Key(root));
        await _reader.DisposeAsync();
    }

    private sealed class FixedClock(Func<DateTimeOffset> now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now();
    }
}

public sealed record JobRun(ChildJobOutcome Entry, IReadOnlyList<ChildJobOutcome> Children, ChildJobOutcome? Synchronize);
