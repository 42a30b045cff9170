using Jobs.JobTree;
using System.Collections.Concurrent;
using System.Text.Json;
using Jobs.Plugins.Http;
using Jobs.Plugins.Storage;
using Jobs.Platforms;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Plugins.Catalogue;

/// <summary>
/// Crawls shops described by <see cref="VendorDefinition"/>s, in generations of children: the entry (vendor root) ->
/// <c>sync-links</c> (the year links, cached per vendor) -> <c>year-list</c> per year (following "view all" / "next")
/// -> <c>product</c> per product page not synced within the interval. A page that cannot be fetched or parsed fails
/// its own child, with its URL and the reason.
/// </summary>
public sealed class CatalogueIntegration(VendorCatalog vendors, IOptions<CatalogueOptions> options, StorageTargets storage)
    : Integration<CatalogueSettings>, IAsyncDisposable
{
    public const string SyncLinksTask = "sync-links";
    public const string YearListTask = "year-list";
    public const string ProductTask = "product";

    /// <summary>The continuation of a sync: measures each vendor's products for the data audits (a drop between syncs fails the audit).</summary>
    public const string MeasureTask = "measure";

    private readonly ConcurrentDictionary<NpgsqlDataSource, ProductStore> _stores = new();

    /// <summary>
    /// A synced product as a job's storage target receives it (table <c>catalogue_products</c> unless the target names another),
    /// upserted on (vendor, sku).
    /// </summary>
    public static readonly RecordTable TargetTable = new("catalogue_products",
    [
        new Column("vendor", ColumnTypes.String), new Column("sku", ColumnTypes.String), new Column("name", ColumnTypes.String),
        new Column("price", ColumnTypes.Number), new Column("brand", ColumnTypes.String), new Column("availability", ColumnTypes.String),
        new Column("release_year", ColumnTypes.Integer), new Column("link", ColumnTypes.String), new Column("synced_at", ColumnTypes.Timestamp),
    ], ["vendor", "sku"]);

    public override string Name => "catalogue";

    /// <summary>
    /// The year-list page: when no year link can be read from it, the sync crawls nothing (a single year list or product page
    /// that fails only fails its own child).
    /// </summary>
    public override IReadOnlyList<string> RequiredTasks => [SyncLinksTask];

    public override IReadOnlyList<string> Tasks => [JobTree.IntegrationTasks.Entry, SyncLinksTask, YearListTask, ProductTask, MeasureTask];

    public override string DisplayName => "Product catalogue";

    public override string Description =>
        "Crawls shops (year list -> product lists -> product pages) into products and their price/availability history; vendors are configuration.";

    public override Task EnsureStorageAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        ProductStore.EnsureSchemaAsync(postgres, cancellationToken);

    /// <summary>The Redis key of a vendor's cached year links (per origin when a job crawls another one).</summary>
    public string LinksKey(string vendor, string? baseUrl) =>
        $"{options.Value.RedisPrefix}links:{vendor}" + (baseUrl is null ? "" : "@" + new Uri(baseUrl).Authority);

    public override Task RunAsync(JobContext context) => context.Task switch
    {
        JobTree.IntegrationTasks.Entry => EntryAsync(context),
        SyncLinksTask => SyncLinksAsync(context, context.SettingsAs<CatalogueStep>()),
        YearListTask => YearListAsync(context, context.SettingsAs<CatalogueStep>()),
        ProductTask => ProductAsync(context, context.SettingsAs<CatalogueStep>()),
        MeasureTask => MeasureAsync(context),
        _ => throw new InvalidOperationException($"catalogue has no task '{context.Task}'"),
    };

    private async Task EntryAsync(JobContext context)
    {
        var settings = context.SettingsAs<CatalogueSettings>();
        var targets = new List<(string Name, VendorDefinition? Inline)>();
        if (settings.VendorDefinition is { ValueKind: JsonValueKind.Object } inline)
        {
            var definition = VendorCatalog.Parse(inline, "vendor_definition");
            targets.Add((definition.Name, definition));
        }
        else
        {
            var names = settings.Vendors.Count > 0 ? settings.Vendors : vendors.Names.Order(StringComparer.Ordinal).ToList();
            var unknown = names.Where(n => vendors.Find(n) is null).ToList();
            if (unknown.Count > 0)
                throw new InvalidOperationException($"unknown vendors: {string.Join(", ", unknown)}; configured: {string.Join(", ", vendors.Names.Order())}");
            targets.AddRange(names.Distinct().Select(n => (n, (VendorDefinition?)null)));
        }

        if (settings.BaseUrl is { } baseUrl)
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https"))
                throw new InvalidOperationException($"base_url '{baseUrl}' is not an absolute http(s) URL");
            if (targets.Count != 1) throw new InvalidOperationException($"base_url needs exactly one vendor, not {targets.Count}");
        }

        // The job's storage target once, here: created or checked (naming a column that does not fit) before any page is fetched.
        if (settings.Storage is { } target)
        {
            await using var sink = storage.Open(target, TargetTable, context.Postgres);
            await sink.EnsureAsync(context.CancellationToken);
            context.Logger.LogInformation("Synced products also go to {Target}", sink.Description);
        }

        foreach (var (name, inlineDefinition) in targets)
        {
            var step = new CatalogueStep
            {
                Vendor = name,
                BaseUrl = settings.BaseUrl,
                Definition = inlineDefinition,
                Mode = settings.Mode,
                SyncIntervalHours = settings.SyncIntervalHours,
                LinkCacheDays = settings.LinkCacheDays,
                Storage = settings.Storage,
            };
            var cached = settings.Mode == CatalogueSettings.Sync && settings.LinkCacheDays > 0
                ? await context.Redis.StringGetAsync(LinksKey(name, settings.BaseUrl))
                : default;
            if (cached.HasValue)
            {
                var links = JsonSerializer.Deserialize<List<YearLink>>(cached.ToString(), SettingsJson.Options) ?? [];
                foreach (var link in links) context.SpawnChild(YearListTask, step with { Url = link.Url, Year = link.Year });
                context.Logger.LogInformation("Vendor {Vendor}: {Years} year lists from the cached links", name, links.Count);
            }
            else
            {
                context.SpawnChild(SyncLinksTask, step);
            }
        }

        // Once every page of the sync has been handled: how many products each vendor has now.
        if (settings.Mode == CatalogueSettings.Sync)
            context.ContinueWith(MeasureTask, new Dictionary<string, string[]> { ["vendors"] = targets.Select(t => t.Name).ToArray() });
        await context.ReportProgressAsync(100, $"{settings.Mode}: {targets.Count} vendor(s), {context.Children.Count} children");
    }

    private static async Task MeasureAsync(JobContext context)
    {
        var names = context.Settings.GetProperty("vendors").EnumerateArray().Select(v => v.GetString()!).ToArray();
        await using var command = context.Postgres.CreateCommand("SELECT vendor, count(*) FROM products WHERE vendor = ANY($1) GROUP BY vendor");
        command.Parameters.Add(new NpgsqlParameter { Value = names });
        var counts = names.ToDictionary(n => n, _ => 0L);
        await using (var reader = await command.ExecuteReaderAsync(context.CancellationToken))
            while (await reader.ReadAsync(context.CancellationToken)) counts[reader.GetString(0)] = reader.GetInt64(1);
        foreach (var (vendor, count) in counts)
        {
            context.Measure("products", vendor, count);
            context.Logger.LogInformation("Vendor {Vendor} has {Products} products after the sync", vendor, count);
        }
    }

    private async Task SyncLinksAsync(JobContext context, CatalogueStep step)
    {
        var vendor = VendorOf(step);
        var rebase = Rebaser(vendor, step.BaseUrl);
        var start = rebase(new Uri(vendor.StartUrl));
        var links = await ReadPageAsync(context, step, "year-links", start,
            page => CataloguePages.YearLinks(vendor, page.Uri, page.Body, rebase));
        if (step.LinkCacheDays > 0)
            await context.Redis.StringSetAsync(LinksKey(vendor.Name, step.BaseUrl), JsonSerializer.Serialize(links, SettingsJson.Options),
                TimeSpan.FromDays(step.LinkCacheDays));
        context.Logger.LogInformation("Vendor {Vendor}: {Years} year links from {Url}", vendor.Name, links.Count, start);
        if (step.Mode != CatalogueSettings.Sync) return;
        foreach (var link in links) context.SpawnChild(YearListTask, step with { Url = link.Url, Year = link.Year });
    }

    private async Task YearListAsync(JobContext context, CatalogueStep step)
    {
        var vendor = VendorOf(step);
        var rebase = Rebaser(vendor, step.BaseUrl);
        var first = new Uri(step.Url ?? throw new InvalidOperationException("a year-list job needs a url"));
        var visited = new HashSet<Uri> { first };
        var list = await ReadPageAsync(context, step, "list", first, page => CataloguePages.List(vendor, page.Uri, page.Body, rebase));
        if (list.ViewAll is { } all && visited.Add(all))
            list = await ReadPageAsync(context, step, "list", all, page => CataloguePages.List(vendor, page.Uri, page.Body, rebase));

        var products = new List<Uri>();
        var seen = new HashSet<Uri>();
        for (var pages = 1; ; pages++)
        {
            products.AddRange(list.Products.Where(seen.Add));
            if (list.Next is not { } next || !visited.Add(next) || pages >= vendor.MaxPages) break;
            list = await ReadPageAsync(context, step, "list", next, page => CataloguePages.List(vendor, page.Uri, page.Body, rebase));
        }

        if (products.Count == 0)
        {
            CatalogueMetrics.PageFailures.WithLabels(vendor.Name, "list").Inc();
            throw new CataloguePageException(first, $"no product links: nothing matches '{vendor.ProductLinks}'");
        }

        var allowed = new List<string>(products.Count);
        foreach (var product in products)
        {
            bool robotsAllow;
            try
            {
                robotsAllow = await context.Http.IsAllowedAsync(product, context.CancellationToken);
            }
            catch (OutboundRefusedException)
            {
                // A link to where jobs may not go: its own child fails, naming the URL and the rule, for the job's owner to see.
                robotsAllow = true;
            }

            if (robotsAllow) allowed.Add(product.ToString());
            else CatalogueMetrics.Skipped.WithLabels(vendor.Name, "robots").Inc();
        }

        var recent = await StoreFor(context).RecentlySyncedAsync(vendor.Name, allowed, TimeSpan.FromHours(step.SyncIntervalHours),
            context.CancellationToken);
        CatalogueMetrics.Skipped.WithLabels(vendor.Name, "recent").Inc(recent.Count);
        foreach (var link in allowed.Where(l => !recent.Contains(l)))
            context.SpawnChild(ProductTask, step with { Url = link });
        context.Logger.LogInformation("Year {Year} of {Vendor}: {Products} products in {Pages} page(s), {Recent} synced recently, {Robots} disallowed",
            step.Year, vendor.Name, products.Count, visited.Count, recent.Count, products.Count - allowed.Count);
    }

    private async Task ProductAsync(JobContext context, CatalogueStep step)
    {
        var vendor = VendorOf(step);
        var link = step.Url ?? throw new InvalidOperationException("a product job needs a url");
        var product = await ReadPageAsync(context, step, "product", new Uri(link),
            page => CataloguePages.Product(vendor, page.Uri, link, page.Body, step.Year));
        var write = await StoreFor(context).WriteAsync(product, context.CancellationToken);
        if (step.Storage is { } target)
        {
            // After the catalogue's own state: a run that fails here is retried and writes both again, idempotently.
            await using var sink = storage.Open(target, TargetTable, context.Postgres);
            await sink.UpsertAsync([[product.Vendor, product.Sku, product.Name, (double?)product.Price, product.Brand, product.Availability,
                (long?)product.ReleaseYear, product.Link, DateTimeOffset.UtcNow]], context.CancellationToken);
        }

        CatalogueMetrics.Synced.WithLabels(vendor.Name).Inc();
        if (write.Created) CatalogueMetrics.Changed.WithLabels(vendor.Name, "created").Inc();
        else
            foreach (var field in write.Changed) CatalogueMetrics.Changed.WithLabels(vendor.Name, field).Inc();
    }

    /// <summary>Fetches and parses a page; either failing counts against the vendor and fails the run with the URL.</summary>
    private static async Task<T> ReadPageAsync<T>(JobContext context, CatalogueStep step, string kind, Uri uri, Func<HttpPage, T> parse)
    {
        try
        {
            return parse(await context.Http.GetPageAsync(uri, context.CancellationToken));
        }
        catch (Exception e) when (e is CataloguePageException or HttpFetchException or RobotsDisallowedException or OutboundRefusedException)
        {
            CatalogueMetrics.PageFailures.WithLabels(step.Vendor, kind).Inc();
            throw;
        }
    }

    private VendorDefinition VendorOf(CatalogueStep step) =>
        step.Definition ?? vendors.Find(step.Vendor) ?? throw new InvalidOperationException($"vendor '{step.Vendor}' is not configured in this process");

    /// <summary>Moves the vendor's own URLs to <paramref name="baseUrl"/>'s scheme, host and port; others stay.</summary>
    private static Func<Uri, Uri> Rebaser(VendorDefinition vendor, string? baseUrl)
    {
        if (baseUrl is null) return uri => uri;
        var original = new Uri(vendor.StartUrl);
        var target = new Uri(baseUrl);
        return uri => string.Equals(uri.Host, original.Host, StringComparison.OrdinalIgnoreCase) && uri.Port == original.Port
            ? new UriBuilder(uri) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri
            : uri;
    }

    private ProductStore StoreFor(JobContext context) =>
        _stores.GetOrAdd(context.Postgres, postgres => new ProductStore(postgres, Math.Max(1, options.Value.WriteBatchSize), options.Value.WriteLinger));

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores.Values) await store.DisposeAsync();
    }
}
