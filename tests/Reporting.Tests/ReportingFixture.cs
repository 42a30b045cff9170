extern alias auditor;
using Jobs.Integrator.ReadModel;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>
/// Reporting in memory (WebApplicationFactory) on a fresh RabbitMQ virtual host, the real Redis and a fresh
/// PostgreSQL database holding the Auditor's tables, with a test-only platform in the catalog. Everything it
/// adds (vhost, database, catalog entry, job keys) is removed at the end.
/// </summary>
public sealed class ReportingFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<Guid, JsonElement> _startMessages = new();
    private readonly ConcurrentBag<Guid> _jobs = [];
    private WebApplicationFactory<Program>? _factory;

    public string Platform { get; } = $"test-platform-{Guid.NewGuid():N}";

    /// <summary>A pre hook published under this name for the fixture's life (settings <see cref="TestHookSettings"/>).</summary>
    public string Hook { get; } = $"test-hook-{Guid.NewGuid():N}";

    public Uri VirtualHost { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    /// <summary>The test database, with the audit tables migrated: tests write audit rows here as the Auditor would.</summary>
    public NpgsqlDataSource Postgres { get; private set; } = null!;

    private string _database = "";

    /// <summary>A client that sends the administrator key (role internal).</summary>
    public HttpClient Client { get; private set; } = null!;

    public string AdminKey { get; } = Guid.NewGuid().ToString("N");

    private const string OverviewRefreshKey = ReportingOptions.Section + ":" + nameof(ReportingOptions.OverviewRefresh);

    /// <summary>How often the overview stream sends under test (short, so a test sees several events quickly).</summary>
    public static readonly TimeSpan OverviewRefresh = TimeSpan.FromMilliseconds(200);

    /// <summary>Reporting's services (singletons such as the overview's producer), for what only the process itself can tell.</summary>
    public IServiceProvider Services => _factory!.Services;

    /// <summary>Another Reporting host on the same servers, with <paramref name="settings"/> added to this one's (disposed by the caller).</summary>
    public WebApplicationFactory<Program> With(IReadOnlyDictionary<string, string> settings) =>
        _factory!.WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
        });

    /// <summary>A client with no key, or with the given one.</summary>
    public HttpClient ClientWith(string? key)
    {
        var client = _factory!.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public async Task InitializeAsync()
    {
        VirtualHost = await Infrastructure.CreateVirtualHostAsync("reporting-tests");
        var redisUrl = await Infrastructure.RedisAsync();
        _database = await Infrastructure.CreateDatabaseAsync("reporting");
        Postgres = NpgsqlDataSource.Create(_database);
        await auditor::Jobs.Auditor.Audit.AuditSchema.MigrateAsync(Postgres, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
        var postgresUrl = _database;
        Redis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(redisUrl));
        await new PlatformCatalog(Redis).PublishAsync([
            new PlatformDescriptor(Platform, "Test platform", "Published by Reporting.Tests", [.. SettingsSchema.For<TestPlatformSettings>(), JobHooks.Setting]),
        ]);
        await new HookCatalog(Redis).PublishAsync([
            new HookDescriptor(Hook, "Published by Reporting.Tests", [JobHooks.Pre], SettingsSchema.For<TestHookSettings>()),
        ]);

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting(Connections.RabbitMqKey, VirtualHost.ToString());
            builder.UseSetting(Connections.RedisKey, redisUrl);
            builder.UseSetting("Security:AdminKey", AdminKey);
            // No Scheduler runs in these tests: schedule calls that reach the bus answer 503 quickly.
            builder.UseSetting(SchedulesEndpoints.TimeoutKey, "00:00:01");
            builder.UseSetting(Connections.PostgresKey, postgresUrl);
            builder.UseSetting(OverviewRefreshKey, OverviewRefresh.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        });
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);

        // Never let a test send anything through a bus on another virtual host (such as a running system's).
        var busAddress = _factory.Services.GetRequiredService<IBus>().Address;
        if (!busAddress.AbsolutePath.StartsWith(VirtualHost.AbsolutePath + "/", StringComparison.Ordinal))
            throw new InvalidOperationException($"Reporting under test runs its bus at {busAddress}, not on the test virtual host {VirtualHost}");
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        if (Redis is not null)
        {
            var db = Redis.GetDatabase();
            await db.HashDeleteAsync(PlatformCatalog.Key, Platform);
            await db.HashDeleteAsync(HookCatalog.Key, Hook);
            foreach (var id in _jobs) await db.KeyDeleteAsync(RootJobKeys.Key(id));
            await Redis.DisposeAsync();
        }

        if (VirtualHost is not null) await Infrastructure.DeleteVirtualHostAsync(VirtualHost);
        if (Postgres is not null) await Postgres.DisposeAsync();
        if (_database.Length > 0) await Infrastructure.DropDatabaseAsync(_database);
    }

    /// <summary>Runs SQL in the test database (tables the integrations would create, rows they would write).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = Postgres.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Remembers a job the API accepted, so its read-model key is deleted at the end.</summary>
    public void Track(Guid id) => _jobs.Add(id);

    /// <summary>
    /// The <see cref="BeginRootJob"/> (the <c>message</c> of its MassTransit envelope) that Reporting sent to the saga's queue
    /// for <paramref name="rootJobId"/>, taken off that queue. Messages of
    /// other jobs read on the way are kept for their own tests.
    /// </summary>
    public async Task<JsonElement> StartMessageAsync(Guid rootJobId)
    {
        var found = await Eventually.Until(async () =>
        {
            if (!_startMessages.ContainsKey(rootJobId)) await DrainStartQueueAsync();
            return _startMessages.TryGetValue(rootJobId, out var message) ? message : (JsonElement?)null;
        }, m => m.HasValue, TimeSpan.FromSeconds(30), $"BeginRootJob {rootJobId} on {StartedQueue}");
        return found!.Value;
    }

    /// <summary>How many BeginRootJob of <paramref name="rootJobId"/> were read so far.</summary>
    public int StartMessagesFor(Guid rootJobId) => _startCounts.GetValueOrDefault(rootJobId);

    /// <summary>How many BeginRootJob of any job were read so far (drain first with <see cref="StartMessageAsync"/>).</summary>
    public int StartMessagesRead => _startCounts.Values.Sum();

    private readonly ConcurrentDictionary<Guid, int> _startCounts = new();

    /// <summary>The RootJob saga's queue (no Integrator runs here): Reporting's send declares it, the fixture reads it.</summary>
    private const string StartedQueue = Jobs.JobTree.IntegrationQueues.RootJobs;

    private async Task DrainStartQueueAsync()
    {
        using var management = Infrastructure.Management(VirtualHost);
        var vhost = VirtualHost.AbsolutePath.TrimStart('/');
        var request = new StringContent("""{"count":50,"ackmode":"ack_requeue_false","encoding":"auto"}""", Encoding.UTF8, "application/json");
        var response = await management.PostAsync($"api/queues/{vhost}/{StartedQueue}/get", request);
        if (response.StatusCode == HttpStatusCode.NotFound) return; // not declared yet
        response.EnsureSuccessStatusCode();
        using var messages = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        foreach (var item in messages.RootElement.EnumerateArray())
        {
            using var envelope = JsonDocument.Parse(item.GetProperty("payload").GetString()!);
            var message = envelope.RootElement.GetProperty("message").Clone();
            var id = message.GetProperty("rootJobId").GetGuid();
            _startMessages[id] = message;
            _startCounts.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
    }
}
