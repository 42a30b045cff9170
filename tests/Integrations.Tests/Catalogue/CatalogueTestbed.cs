using Jobs.Plugins.Storage;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Plugins.Catalogue;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Http;
using Jobs.Integrations.Tests.Http;
using Jobs.Platforms;
using Jobs.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests.Catalogue;

/// <summary>What one child of a crawl did: its task, settings and, when it failed, the error recorded for it.</summary>
internal sealed record ChildResult(string Task, CatalogueStep? Step, string? Error);

/// <summary>A row of <c>products</c> as the tests compare it.</summary>
internal sealed record ProductRow(string Vendor, string Sku, string Name, decimal? Price, string? Brand, string? Availability, int? ReleaseYear, string Link);

internal sealed record HistoryRow(string[] Changed, decimal? Price, string? Availability, DateTime ChangedAt);

/// <summary>
/// The catalogue integration against the real Redis (keys under prefixes of its own, removed at the end) and the fixture's
/// PostgreSQL database, with a polite client that has no rate limit unless told; <see cref="CrawlAsync"/> runs the crawl's
/// generations directly through <see cref="JobContext"/>s, the way the Integrations host runs them.
/// </summary>
internal sealed class CatalogueTestbed : IAsyncDisposable
{
    private readonly HostFixture _host;
    private readonly List<Guid> _roots = [];

    /// <param name="allowLoopback">Whether the outbound policy admits loopback (where the test shops listen); hostile-input tests allow less.</param>
    public CatalogueTestbed(HostFixture host, Action<PoliteHttpOptions>? configureHttp = null, bool allowLoopback = true, StorageOptions? storage = null)
    {
        _host = host;
        var http = new PoliteHttpOptions
        {
            KeyPrefix = $"test-http-{Guid.NewGuid():N}:",
            UserAgent = "CatalogueTests/1.0",
            RequestsPerSecond = 0,
            BackoffBase = TimeSpan.FromMilliseconds(20),
            Timeout = TimeSpan.FromSeconds(10),
            MaxAttempts = 3,
        };
        // The test shop listens on loopback: allowed on purpose, as the README shows for a local shop.
        if (allowLoopback) http.AllowingLoopback();
        configureHttp?.Invoke(http);
        HttpOptions = http;
        Options = new CatalogueOptions { RedisPrefix = $"test-catalogue-{Guid.NewGuid():N}:" };
        Storage = new StorageTargets(Microsoft.Extensions.Options.Options.Create(storage ?? new StorageOptions()));
        Integration = new CatalogueIntegration(new VendorCatalog(Microsoft.Extensions.Options.Options.Create(Options)),
            Microsoft.Extensions.Options.Options.Create(Options), Storage);
        Http = new PoliteHttpClient(host.Redis, http, Integration.Name);
    }

    public PoliteHttpOptions HttpOptions { get; }

    /// <summary>The storage targets jobs of this testbed may name (none configured, nothing allowed unless told).</summary>
    public StorageTargets Storage { get; }

    public CatalogueOptions Options { get; }

    public CatalogueIntegration Integration { get; }

    public PoliteHttpClient Http { get; }

    /// <summary>Creates the tables if needed and empties them (the tests of a class share one database and run one at a time).</summary>
    public async Task ResetTablesAsync()
    {
        await Integration.EnsureStorageAsync(_host.Postgres, CancellationToken.None);
        await using var command = _host.Postgres.CreateCommand("TRUNCATE products, product_history");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The figures the last crawl's runs measured (the sync's continuation), for the data audits.</summary>
    public List<DataMeasurement> Measured { get; } = [];

    /// <summary>
    /// Runs a root job of the catalogue with <paramref name="settings"/> to its end - generation by generation, then the
    /// entry's continuation - and returns every run but the entry's and the continuation's.
    /// </summary>
    public async Task<IReadOnlyList<ChildResult>> CrawlAsync(object settings)
    {
        var validation = SettingsValidator.Validate(Integration.Describe().Settings, JsonSerializer.SerializeToElement(settings, SettingsJson.Options));
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        var root = Guid.NewGuid();
        _roots.Add(root);
        var results = new List<ChildResult>();
        Measured.Clear();
        ContinuationJob? continuation = null;
        var generation = new List<ChildJob> { new(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, validation.Settings) };
        while (generation.Count > 0)
        {
            var next = new List<ChildJob>();
            var runs = await Task.WhenAll(generation.Select(async job =>
            {
                var context = new JobContext(root, job, new RunReports(_host.Redis), _host.Redis, _host.Postgres, NullLogger.Instance, CancellationToken.None, Http);
                try
                {
                    await Integration.RunAsync(context);
                    return (job, context, Error: (string?)null);
                }
                catch (Exception e)
                {
                    return (job, context, Error: e.Message);
                }
            }));
            foreach (var (job, context, error) in runs)
            {
                if (job.Task == IntegrationTasks.Entry && error is not null) throw new InvalidOperationException($"the entry failed: {error}");
                if (job.Task == IntegrationTasks.Entry) continuation = context.Continuation;
                if (job.Task != IntegrationTasks.Entry)
                    results.Add(new ChildResult(job.Task, job.Settings.Deserialize<CatalogueStep>(SettingsJson.Options), error));
                if (error is not null) continue;
                for (var i = 0; i < context.Children.Count; i++)
                {
                    var (task, childSettings) = context.Children[i];
                    next.Add(new ChildJob(JobIds.Child(job.ChildJobId, i), job.ChildJobId, job.GroupId, job.Generation + 1, task, childSettings));
                }
            }

            generation = next;
        }

        if (continuation is not null)
        {
            var last = new JobContext(root, new ChildJob(JobIds.Continuation(JobIds.Entry(root)), JobIds.Entry(root), root, 1, continuation.Task,
                continuation.Settings), new RunReports(_host.Redis), _host.Redis, _host.Postgres, NullLogger.Instance, CancellationToken.None, Http);
            await Integration.RunAsync(last);
            Measured.AddRange(last.Measurements);
        }

        return results;
    }

    public async Task<List<ProductRow>> ProductsAsync()
    {
        await using var command = _host.Postgres.CreateCommand(
            "SELECT vendor, sku, name, price, brand, availability, release_year, link FROM products ORDER BY vendor, sku");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<ProductRow>();
        while (await reader.ReadAsync())
            rows.Add(new ProductRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetDecimal(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetString(7)));
        return rows;
    }

    public async Task<List<HistoryRow>> HistoryAsync(string vendor, string sku)
    {
        await using var command = _host.Postgres.CreateCommand("""
            SELECT h.changed, h.price, h.availability, h.changed_at FROM product_history h JOIN products p ON p.id = h.product_id
            WHERE p.vendor = $1 AND p.sku = $2 ORDER BY h.id
            """);
        command.Parameters.AddWithValue(vendor);
        command.Parameters.AddWithValue(sku);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<HistoryRow>();
        while (await reader.ReadAsync())
            rows.Add(new HistoryRow(reader.GetFieldValue<string[]>(0), reader.IsDBNull(1) ? null : reader.GetDecimal(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetDateTime(3)));
        return rows;
    }

    public async Task<(DateTime Created, DateTime Synced)> TimesAsync(string vendor, string sku)
    {
        await using var command = _host.Postgres.CreateCommand("SELECT created_at, last_synced_at FROM products WHERE vendor = $1 AND sku = $2");
        command.Parameters.AddWithValue(vendor);
        command.Parameters.AddWithValue(sku);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"{vendor}/{sku} is not stored");
        return (reader.GetDateTime(0), reader.GetDateTime(1));
    }

    /// <summary>The row the crawler should have stored for <paramref name="product"/> of <paramref name="shop"/>.</summary>
    public static ProductRow Expected(TestShop shop, string vendor, ShopProduct product) =>
        new(vendor, product.Sku, product.Name, product.Price, product.Brand, product.Availability switch
        {
            ShopAvailability.InStock => "available",
            ShopAvailability.OutOfStock => "sold_out",
            _ => "preorder",
        }, product.Year, Link(shop, product));

    /// <summary>The link a product is stored with: its URL as the shop's list pages give it.</summary>
    public static string Link(TestShop shop, ShopProduct product) => shop.ProductUrl(product);

    public async ValueTask DisposeAsync()
    {
        await Integration.DisposeAsync();
        await Storage.DisposeAsync();
        await RedisKeys.DeleteByPrefixAsync(_host.Redis, Options.RedisPrefix);
        await RedisKeys.DeleteByPrefixAsync(_host.Redis, HttpOptions.KeyPrefix);
        foreach (var root in _roots) await _host.Redis.GetDatabase().KeyDeleteAsync(RootJobKeys.Key(root) + ":progress");
    }
}
