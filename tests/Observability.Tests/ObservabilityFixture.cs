using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Observability.Tests;

/// <summary>
/// The five services as processes and a Prometheus of the test's own scraping them and RabbitMQ every second; then one job
/// of every platform that can run here: synthetic (some children failing), catalogue against the local test shop (one
/// broken product page; crawled twice, the second within the sync interval), movies on the sample files (twice, the second
/// from the cache), reddit against the fake API (one 503 first), preaggregates on a source database of the test, and one
/// invalid start request published as raw JSON (it lands in <c>jobs.start_error</c>).
/// </summary>
public sealed class ObservabilityFixture : IAsyncLifetime
{
    public const string Subreddit = "obsmetrics";
    public const string Vendor = "hookedonhallmark_com";

    private readonly string _prefix = $"obs-{Guid.NewGuid():N}";
    private readonly string _files = Directory.CreateTempSubdirectory("obs-files-").FullName;
    private string? _sourceDatabase;
    private TestShop? _shop;

    public ServiceSystem System { get; private set; } = null!;

    public PrometheusServer Prometheus { get; private set; } = null!;

    public FakeRedditApi Reddit { get; private set; } = null!;

    /// <summary>The RabbitMQ virtual host of the services (the <c>vhost</c> label of the broker's queue metrics).</summary>
    public string VirtualHost => Uri.UnescapeDataString(System.VirtualHost.AbsolutePath.TrimStart('/'));

    /// <summary>Every job the fixture ran, by platform, with its final status.</summary>
    public List<(string Platform, Guid Id, string Status, long Completed, long Failed)> Jobs { get; } = [];

    public async Task InitializeAsync()
    {
        var products = ShopProduct.Catalogue([2001, 2002], 3);
        products[1].Broken = true;
        _shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, products, pageSize: 10);
        Reddit = await FakeRedditApi.StartAsync();
        Reddit.Publish(Subreddit, 3, comments: 2);
        Reddit.Script(request => request.Path.EndsWith("/new.json", StringComparison.Ordinal) ? new ScriptedAnswer(503, "{}") : null);
        _sourceDatabase = await Infrastructure.CreateDatabaseAsync("obs_preagg");
        await ExecuteAsync(_sourceDatabase, """
            CREATE TABLE obs_hourly (hour timestamptz NOT NULL, amount int NOT NULL DEFAULT 1);
            INSERT INTO obs_hourly (hour) SELECT date_trunc('hour', now()) - make_interval(hours => h) FROM generate_series(1, 5) AS h;
            """);

        System = await ServiceSystem.StartAsync("obs", new Dictionary<string, string>
        {
            // Only the jobs the fixture starts: the shipped heartbeat schedule is off.
            ["Schedules__0__Enabled"] = "false",
            ["Integrations__Http__KeyPrefix"] = $"{_prefix}-http:",
            ["Catalogue__RedisPrefix"] = $"{_prefix}-catalogue:",
            ["Reddit__RedisPrefix"] = $"{_prefix}-reddit:",
            // The test shop and the fake Reddit API listen on loopback, which the outbound policy refuses unless allowed.
            ["Integrations__Http__Integrations__catalogue__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Integrations__Http__Integrations__reddit__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Integrations__Http__Integrations__reddit__ObeyRobots"] = "false",
            ["Integrations__Http__Integrations__reddit__BackoffBase"] = "00:00:00.010",
            // A generous rate limit for the local hosts: requests hardly wait, and their waits are measured.
            ["Integrations__Http__Hosts__127.0.0.1__RequestsPerSecond"] = "1000",
            ["Movies__AllowedDirectories__0"] = _files,
            ["Preaggregates__Sources__obs__ConnectionString"] = _sourceDatabase,
            ["Preaggregates__Sources__obs__BatchTables__0__Table"] = "obs_hourly",
            ["Preaggregates__Sources__obs__BatchTables__0__Column"] = "hour",
        });

        var targets = System.Services.Select(s => new ScrapeTarget("jobs-services", $"127.0.0.1:{s.Port}", "/metrics",
                new Dictionary<string, string> { ["service"] = s.Name.ToLowerInvariant() }))
            .Append(new ScrapeTarget("rabbitmq", $"{System.VirtualHost.Host}:15692", "/metrics/per-object", new Dictionary<string, string>()));
        Prometheus = await PrometheusServer.StartAsync(targets);

        using var api = System.ApiClient();
        var movies = await MoviesData.WriteSampleSourcesAsync(Directory.CreateDirectory(Path.Combine(_files, "movies")).FullName);
        await Task.WhenAll(
            RunAsync(api, "synthetic", new { children = 20, fail_ratio = 0.3, work_ms = 20 }),
            RunAsync(api, "catalogue", Catalogue()),
            RunAsync(api, "movies", movies),
            RunAsync(api, "reddit", new { subreddits = new[] { Subreddit }, api_base_url = Reddit.BaseUri.ToString().TrimEnd('/'), token_url = Reddit.TokenUri.ToString() }),
            RunAsync(api, "preaggregates", new { }));
        // Again, now that there is something to skip: product pages synced within the interval, downloads whose cache is current.
        await Task.WhenAll(RunAsync(api, "catalogue", Catalogue()), RunAsync(api, "movies", movies));
        await PublishInvalidStartAsync();

        // Until Prometheus has scraped the Integrator after the last end, then long enough for rate() to see two samples.
        await Eventually.Until(() => Prometheus.ValueAsync("sum(integrator_root_jobs_ended_total)"), ended => ended >= Jobs.Count,
            TimeSpan.FromSeconds(60), $"Prometheus to scrape {Jobs.Count} ended roots ({System.Diagnostics()})");
        await Eventually.Until(() => Prometheus.ValueAsync($"sum(rabbitmq_queue_messages{{vhost=\"{VirtualHost}\", queue=\"jobs.start_error\"}})"),
            depth => depth >= 1, TimeSpan.FromSeconds(60), "Prometheus to scrape the faulted start in jobs.start_error");
        await Task.Delay(TimeSpan.FromSeconds(3));
    }

    private object Catalogue() => new { vendors = new[] { Vendor }, base_url = _shop!.BaseAddress.ToString(), sync_interval_hours = 24 };

    private async Task RunAsync(HttpClient api, string platform, object settings)
    {
        var response = await api.PostAsJsonAsync("jobs", new { platform, settings });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{platform}: {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        var job = await Eventually.Until(async () =>
            {
                var status = await api.GetAsync($"jobs/{id}/status?wait=5");
                return status.IsSuccessStatusCode ? JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement.Clone() : default;
            },
            j => j.ValueKind == JsonValueKind.Object && JobStatus.HasEnded(j.GetProperty("status").GetString()),
            TimeSpan.FromSeconds(120), $"the {platform} job {id} to end (the services' output is in {SaveOutput()})");
        var children = job.GetProperty("children");
        lock (Jobs) Jobs.Add((platform, id, job.GetProperty("status").GetString()!, children.GetProperty("completed").GetInt64(), children.GetProperty("failed").GetInt64()));
    }

    /// <summary>Writes every service's whole output to a directory (for a failure's message); returns it.</summary>
    private string SaveOutput()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "service-output");
        Directory.CreateDirectory(directory);
        foreach (var service in System.Services) File.WriteAllText(Path.Combine(directory, $"{service.Name}.log"), service.Output());
        return directory;
    }

    private async Task PublishInvalidStartAsync()
    {
        using var management = Infrastructure.Management(System.VirtualHost);
        var response = await management.PostAsJsonAsync($"api/exchanges/{System.VirtualHost.AbsolutePath.TrimStart('/')}/jobs.start/publish", new
        {
            properties = new { content_type = "application/json", message_id = Guid.NewGuid().ToString() },
            routing_key = "",
            payload = """{"platform":"no-such-platform","settings":{}}""",
            payload_encoding = "string",
        });
        response.EnsureSuccessStatusCode();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null) await Prometheus.DisposeAsync();
        if (System is not null) await System.DisposeAsync();
        if (Reddit is not null) await Reddit.DisposeAsync();
        if (_shop is not null) await _shop.DisposeAsync();
        if (_sourceDatabase is not null) await Infrastructure.DropDatabaseAsync(_sourceDatabase);
        // The services' own Redis database (ServiceSystem.RedisDatabase), where the plugins wrote under the fixture's prefix.
        var options = Connections.RedisOptions(await Infrastructure.RedisAsync());
        options.DefaultDatabase = ServiceSystem.RedisDatabase;
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(options))
            await RedisKeys.DeleteByPrefixAsync(redis, _prefix);

        Directory.Delete(_files, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ObservabilityCollection : ICollectionFixture<ObservabilityFixture>
{
    public const string Name = "observability";
}
