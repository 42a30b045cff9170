using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using Jobs.Platforms;
using Jobs.Plugins.Http;
using Jobs.Plugins.Rest;
using Jobs.Plugins.Storage;
using Jobs.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Jobs.Integrations.Tests.Rest;

/// <summary>The outcome of a rest root's entry and of each window child it spawned (run one after the other).</summary>
public sealed record RestJobRun(Guid Root, ChildJobOutcome Entry, IReadOnlyList<(RestStep Step, ChildJobOutcome Outcome, JsonElement Settings)> Children)
{
    public bool Succeeded => Entry.Succeeded && Children.All(c => c.Outcome.Succeeded);

    public string Errors => string.Join(" | ", new[] { Entry.Error }.Concat(Children.Select(c => c.Outcome.Error)).Where(e => e is not null));
}

/// <summary>
/// The rest integration as the Integrations host runs it (through <see cref="ChildJobRunner"/> with the polite HTTP client) against a
/// <see cref="FakeReportApi"/>, the real Redis, the fixture's PostgreSQL and the real MariaDB. Redis keys carry a prefix of the
/// harness and are deleted at the end.
/// </summary>
public sealed class RestHarness : IAsyncDisposable
{
    private readonly HostFixture _host;
    private readonly ServiceProvider _services;
    private readonly List<Guid> _roots = [];

    private RestHarness(HostFixture host, FakeReportApi api, ServiceProvider services, string prefix, RestOptions options, string directory)
    {
        _host = host;
        Api = api;
        _services = services;
        Prefix = prefix;
        Options = options;
        Directory = directory;
        var storage = new StorageOptions { AllowedHosts = ["127.0.0.1"], AllowedDirectories = [directory], BatchSize = 7 };
        Storage = new StorageTargets(MsOptions.Create(storage));
        Integration = new RestIntegration(MsOptions.Create(options), Storage);
        var integrations = new IntegrationsOptions();
        Runner = new ChildJobRunner(new IntegrationRegistry([Integration], MsOptions.Create(integrations)), new RunningJobs(),
            host.Redis, host.Postgres, MsOptions.Create(integrations), NullLogger<ChildJobRunner>.Instance, services.GetRequiredService<PoliteHttpFactory>());
    }

    public FakeReportApi Api { get; }

    public string Prefix { get; }

    public RestOptions Options { get; }

    /// <summary>A temporary directory csv/jsonl targets may write in (deleted at the end).</summary>
    public string Directory { get; }

    public StorageTargets Storage { get; }

    public RestIntegration Integration { get; }

    public ChildJobRunner Runner { get; }

    public IDatabase Redis => _host.Redis.GetDatabase();

    public static async Task<RestHarness> StartAsync(HostFixture host, Action<RestOptions, Uri>? configure = null)
    {
        var prefix = $"test-rest-{Guid.NewGuid():N}:";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Integrations:Http:KeyPrefix"] = prefix + "http:",
            ["Integrations:Http:Integrations:rest:ObeyRobots"] = "false",
            ["Integrations:Http:Integrations:rest:Outbound:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Integrations:Http:Integrations:rest:RequestsPerSecond"] = "1000",
            ["Integrations:Http:Integrations:rest:Burst"] = "1",
            ["Integrations:Http:Integrations:rest:MaxAttempts"] = "3",
            ["Integrations:Http:Integrations:rest:BackoffBase"] = "00:00:00.010",
            ["Integrations:Http:Integrations:rest:MaxRetryAfter"] = "00:00:10",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(host.Redis);
        services.AddSingleton<IConfiguration>(configuration);
        PoliteHttpFactory.Register(services);
        var api = await FakeReportApi.StartAsync();
        var options = new RestOptions { RedisPrefix = prefix + "rest:" };
        configure?.Invoke(options, api.BaseUri);
        var directory = Path.Combine(Path.GetTempPath(), $"rest-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        return new RestHarness(host, api, services.BuildServiceProvider(), prefix, options, directory);
    }

    /// <summary>A URL of the fake API.</summary>
    public string Url(string path) => new Uri(Api.BaseUri, path).ToString();

    /// <summary>Settings as Reporting accepts them: checked against the schema, defaults filled in, relative dates resolved against <paramref name="today"/>.</summary>
    public static JsonElement Validated(object settings, DateOnly? today = null)
    {
        var validation = SettingsValidator.Validate(SettingsSchema.For<RestSettings>(), JsonSerializer.SerializeToElement(settings, SettingsJson.Options), today);
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        return validation.Settings;
    }

    /// <summary>Runs a root job: its entry, then every window child it spawned.</summary>
    public async Task<RestJobRun> RunAsync(object settings, DateOnly? today = null)
    {
        var root = Guid.NewGuid();
        _roots.Add(root);
        var entry = await Runner.ExecuteAsync(root, "rest",
            new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, Validated(settings, today)), CancellationToken.None);
        var children = new List<(RestStep, ChildJobOutcome, JsonElement)>();
        foreach (var child in entry.Spawned.SelectMany(m => m.Children))
            children.Add((child.Settings.Deserialize<RestStep>(SettingsJson.Options)!, (await Runner.ExecuteAsync(root, "rest", child, CancellationToken.None)).Outcome, child.Settings));
        return new RestJobRun(root, entry.Outcome, children);
    }

    /// <summary>The datasets a run kept (<c>original</c>, <c>processed</c>) as the Integrator's read model holds them.</summary>
    public async Task<JsonNode?> DatasetAsync(Guid root, Guid child, string name)
    {
        var value = await Redis.HashGetAsync(RunKeys.DatasetsKey(root), $"{child:N}/{name}");
        return value.IsNullOrEmpty ? null : JsonNode.Parse((string)value!);
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await _services.DisposeAsync();
        await Storage.DisposeAsync();
        var db = Redis;
        foreach (var root in _roots)
        {
            await db.KeyDeleteAsync(RunKeys.ProgressKey(root));
            await db.KeyDeleteAsync(RunKeys.DatasetsKey(root));
        }

        foreach (var server in _host.Redis.GetServers())
            await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
                await db.KeyDeleteAsync(key);
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
