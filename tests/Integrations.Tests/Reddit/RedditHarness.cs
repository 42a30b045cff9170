using Jobs.TestSupport;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Http;
using Jobs.Plugins.Reddit;
using Jobs.Plugins.Storage;
using Jobs.Platforms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Integrations.Tests.Reddit;

/// <summary>The outcome of a root's entry run and of each subreddit child it spawned.</summary>
public sealed record RedditJobRun(ChildJobOutcome Entry, IReadOnlyList<(RedditStep Step, ChildJobOutcome Outcome)> Children)
{
    public ChildJobOutcome Only => Assert.Single(Children).Outcome;
}

/// <summary>
/// The reddit integration as the Integrations host runs it (entry, then each spawned child, through
/// <see cref="ChildJobRunner"/> with the polite HTTP client) against a <see cref="FakeRedditApi"/>, the real Redis and
/// the fixture's database. Every Redis key it makes carries a prefix of its own and is deleted at the end. Storage targets:
/// files inside <see cref="Directory"/> (deleted at the end), and the named target <see cref="MySqlTarget"/> (the MariaDB of
/// <c>MYSQL_URL</c>, when set).
/// </summary>
public sealed class RedditHarness : IAsyncDisposable
{
    private readonly HostFixture _host;
    private readonly ServiceProvider _services;
    private readonly List<Guid> _roots = [];

    /// <summary>The name of the configured MariaDB target (<c>Storage:Targets:mariadb</c>).</summary>
    public const string MySqlTarget = "mariadb";

    private RedditHarness(HostFixture host, FakeRedditApi api, ServiceProvider services, string prefix, string directory)
    {
        _host = host;
        Api = api;
        _services = services;
        Prefix = prefix;
        Directory = directory;
        Options = new RedditOptions { RedisPrefix = prefix + "reddit:" };
        var storage = new StorageOptions { AllowedDirectories = [directory], BatchSize = 4 };
        if (Environment.GetEnvironmentVariable("MYSQL_URL") is { Length: > 0 })
            storage.Targets[MySqlTarget] = new StorageTargetOptions { Type = StorageTypes.MySql, ConnectionString = Infrastructure.MySql() };
        Storage = new StorageTargets(Microsoft.Extensions.Options.Options.Create(storage));
        Integration = new RedditIntegration(Microsoft.Extensions.Options.Options.Create(Options), Storage);
        var integrations = new IntegrationsOptions();
        Runner = new ChildJobRunner(new IntegrationRegistry([Integration], Microsoft.Extensions.Options.Options.Create(integrations)), new RunningJobs(),
            host.Redis, host.Postgres, Microsoft.Extensions.Options.Options.Create(integrations), NullLogger<ChildJobRunner>.Instance,
            services.GetRequiredService<PoliteHttpFactory>());
    }

    public FakeRedditApi Api { get; }

    public string Prefix { get; }

    /// <summary>A temporary directory csv/jsonl targets may write in (deleted at the end).</summary>
    public string Directory { get; }

    public StorageTargets Storage { get; }

    public RedditOptions Options { get; }

    public RedditIntegration Integration { get; }

    public ChildJobRunner Runner { get; }

    public IDatabase Redis => _host.Redis.GetDatabase();

    public NpgsqlDataSource Postgres => _host.Postgres;

    internal RedditCursors Cursors => new(Redis, Options);

    /// <summary>A fresh fake API and polite HTTP client (no robots.txt, a fast retry backoff) over the fixture's stores.</summary>
    /// <param name="allowLoopback">Whether reddit's outbound policy admits loopback, where the fake API listens (hostile-input tests: not).</param>
    public static async Task<RedditHarness> StartAsync(HostFixture host, bool allowLoopback = true)
    {
        await SubmissionStore.EnsureSchemaAsync(host.Postgres, CancellationToken.None);
        var prefix = $"test-reddit-{Guid.NewGuid():N}:";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Integrations:Http:KeyPrefix"] = prefix + "http:",
            ["Integrations:Http:Integrations:reddit:ObeyRobots"] = "false",
            // The fake API listens on loopback: allowed for reddit on purpose (or not: an empty entry admits nothing).
            ["Integrations:Http:Integrations:reddit:Outbound:AllowedNetworks:0"] = allowLoopback ? "127.0.0.0/8" : "",
            ["Integrations:Http:Integrations:reddit:RequestsPerSecond"] = "1000",
            ["Integrations:Http:Integrations:reddit:Burst"] = "1",
            ["Integrations:Http:Integrations:reddit:MaxAttempts"] = "3",
            ["Integrations:Http:Integrations:reddit:BackoffBase"] = "00:00:00.010",
            ["Integrations:Http:Integrations:reddit:MaxRetryAfter"] = "00:00:10",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(host.Redis);
        services.AddSingleton<IConfiguration>(configuration);
        PoliteHttpFactory.Register(services);
        var api = await FakeRedditApi.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), $"reddit-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        return new RedditHarness(host, api, services.BuildServiceProvider(), prefix, directory);
    }

    /// <summary>Settings as a job would carry them: <paramref name="settings"/> over the defaults, pointed at the fake API.</summary>
    public JsonElement Settings(object settings, bool pointAtTheFake = true)
    {
        var node = JsonSerializer.SerializeToNode(settings, SettingsJson.Options)!.AsObject();
        if (pointAtTheFake) node.TryAdd("api_base_url", Api.BaseUri.ToString().TrimEnd('/'));
        node.TryAdd("token_url", Api.TokenUri.ToString());
        var validation = SettingsValidator.Validate(SettingsSchema.For<RedditSettings>(), JsonSerializer.SerializeToElement(node));
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        return validation.Settings;
    }

    /// <summary>Runs a root job: its entry, then every child the entry spawned, one after the other.</summary>
    public async Task<RedditJobRun> RunAsync(object settings)
    {
        var (root, entry) = await RunEntryAsync(Settings(settings));
        var children = new List<(RedditStep, ChildJobOutcome)>();
        foreach (var child in entry.Spawned.SelectMany(m => m.Children))
            children.Add((StepOf(child), (await Runner.ExecuteAsync(root, "reddit", child, CancellationToken.None)).Outcome));
        return new RedditJobRun(entry.Outcome, children);
    }

    /// <summary>Runs only a root job's entry (it must succeed) and returns what it gave its children.</summary>
    public async Task<IReadOnlyList<RedditStep>> EntryAsync(object settings, bool pointAtTheFake = true)
    {
        var (_, entry) = await RunEntryAsync(Settings(settings, pointAtTheFake));
        Assert.True(entry.Outcome.Succeeded, entry.Outcome.Error);
        return entry.Spawned.SelectMany(m => m.Children).Select(StepOf).ToList();
    }

    private async Task<(Guid Root, ChildRun Entry)> RunEntryAsync(JsonElement settings)
    {
        var root = Guid.NewGuid();
        _roots.Add(root);
        var entry = new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, settings);
        return (root, await Runner.ExecuteAsync(root, "reddit", entry, CancellationToken.None));
    }

    private static RedditStep StepOf(ChildJob child) => child.Settings.Deserialize<RedditStep>(SettingsJson.Options)!;

    /// <summary>Runs one subreddit (into <paramref name="storage"/> when given) and asserts that it succeeded.</summary>
    public async Task<ChildJobOutcome> RunSubredditAsync(string subreddit, int pageLimit = 100, int maxPages = 10, int firstRunPages = 1, object? storage = null)
    {
        var settings = new Dictionary<string, object?>
        {
            ["subreddits"] = new[] { subreddit }, ["page_limit"] = pageLimit, ["max_pages"] = maxPages, ["first_run_pages"] = firstRunPages,
        };
        if (storage is not null) settings["storage"] = storage;
        var run = await RunAsync(settings);
        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        var outcome = run.Only;
        Assert.True(outcome.Succeeded, outcome.Error);
        return outcome;
    }

    /// <summary>The fullnames stored from <paramref name="listing"/>, newest first.</summary>
    public async Task<IReadOnlyList<string>> StoredAsync(string listing)
    {
        await using var command = Postgres.CreateCommand("SELECT fullname FROM reddit_submissions WHERE listing = @listing ORDER BY created_utc DESC, fullname DESC");
        command.Parameters.AddWithValue("listing", listing);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>A unique subreddit name, so metrics and rows of one test are its own.</summary>
    public static string NewSubreddit() => $"t_{Guid.NewGuid():N}"[..21];

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await _services.DisposeAsync();
        await Storage.DisposeAsync();
        var db = Redis;
        foreach (var root in _roots) await db.KeyDeleteAsync(RootJobKeys.Key(root) + ":progress");
        foreach (var server in _host.Redis.GetServers())
            await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
                await db.KeyDeleteAsync(key);
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>The posts of a recorded listing (a real Reddit answer), as JSON.</summary>
    public static JsonArray ChildrenOf(string listingJson) => JsonNode.Parse(listingJson)!["data"]!["children"]!.AsArray();
}
