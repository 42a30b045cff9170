using System.Text.Json;
using Jobs.Contracts;
using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Storage;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Catalogue;

/// <summary>The crawl of a local shop shaped like hookedonhallmark.com: pagination, a broken page, a 429, a robots.txt disallow.</summary>
public sealed class CatalogueCrawlTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private const string Vendor = "hookedonhallmark_com";

    // Jobs may land their products as files here (the storage-target test); nothing else is allowed.
    private readonly string _files = Directory.CreateTempSubdirectory("catalogue-target-").FullName;
    private CatalogueTestbed _bed = null!;
    private TestShop _shop = null!;

    // 2 years of 12 products, 5 to a list page: 3 pages per year.
    public async Task InitializeAsync()
    {
        _bed = new CatalogueTestbed(host, storage: new StorageOptions { AllowedDirectories = [_files] });
        await _bed.ResetTablesAsync();
        var products = ShopProduct.Catalogue([2013, 2014], 12);
        products[1].Availability = ShopAvailability.OutOfStock;
        products[2].Availability = ShopAvailability.PreOrder;
        products[3].Price = 1234.5m;
        products[4].Price = null;
        products[5].Name = "2013 Father Christmas & \"Friends\"";
        _shop = await TestShop.StartAsync(ShopShape.HookedOnHallmark, products, pageSize: 5);
    }

    public async Task DisposeAsync()
    {
        await _shop.DisposeAsync();
        await _bed.DisposeAsync();
        Directory.Delete(_files, recursive: true);
    }

    private object Settings(double syncIntervalHours = 24, string mode = CatalogueSettings.Sync) => new
    {
        mode,
        vendors = new[] { Vendor },
        base_url = _shop.BaseAddress.ToString(),
        sync_interval_hours = syncIntervalHours,
    };

    private ShopProduct Product(int year, int number) => _shop.Products.Single(p => p.Sku == $"QX{year}{number:D4}");

    [Fact]
    public async Task When_crawling_a_shop_Should_store_every_parsable_product_exactly_and_fail_only_the_children_of_bad_pages()
    {
        var broken = Product(2014, 3);
        broken.Broken = true;
        var throttled = Product(2013, 2);
        _shop.Throttle(_shop.ProductPath(throttled));
        var disallowed = Product(2014, 5);
        _shop.RobotsTxt = $"User-agent: *\nDisallow: {_shop.ProductPath(disallowed)}\n";

        var children = await _bed.CrawlAsync(Settings());

        var expected = _shop.Products.Where(p => p != broken && p != disallowed)
            .Select(p => CatalogueTestbed.Expected(_shop, Vendor, p)).OrderBy(p => p.Sku, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, await _bed.ProductsAsync());
        // The sync's continuation measured the vendor's products for the data audits.
        Assert.Equal(new DataMeasurement("products", Vendor, expected.Count), Assert.Single(_bed.Measured));

        var failed = Assert.Single(children, c => c.Error is not null);
        Assert.Equal((CatalogueIntegration.ProductTask, _shop.ProductUrl(broken)), (failed.Task, failed.Step!.Url));
        Assert.Contains(_shop.ProductUrl(broken), failed.Error);
        Assert.Contains("no sku", failed.Error);

        Assert.Equal(1, children.Count(c => c.Task == CatalogueIntegration.SyncLinksTask));
        Assert.Equal([2013, 2014], children.Where(c => c.Task == CatalogueIntegration.YearListTask).Select(c => c.Step!.Year!.Value).Order());
        Assert.Equal(23, children.Count(c => c.Task == CatalogueIntegration.ProductTask));
        Assert.Equal(3, _shop.CountOf(p => p.StartsWith("/product-category/2013/", StringComparison.Ordinal)));
        Assert.Equal(2, _shop.CountOf(_shop.ProductPath(throttled)));
        Assert.Equal(0, _shop.CountOf(_shop.ProductPath(disallowed)));
        Assert.Equal(1, _shop.CountOf("/robots.txt"));
        Assert.All(_shop.Requests, r => Assert.Equal("CatalogueTests/1.0", r.UserAgent));

        var history = await _bed.HistoryAsync(Vendor, Product(2013, 4).Sku);
        var first = Assert.Single(history);
        Assert.Equal(["price", "availability"], first.Changed);
        Assert.Equal((1234.5m, "available"), (first.Price, first.Availability));
    }

    [Fact]
    public async Task When_a_job_names_a_storage_target_Should_upsert_each_synced_product_there_once_and_keep_the_catalogue_state()
    {
        var settings = new
        {
            vendors = new[] { Vendor }, base_url = _shop.BaseAddress.ToString(), sync_interval_hours = 0,
            storage = new { type = "jsonl", settings = new { directory = _files } },
        };

        var first = await _bed.CrawlAsync(settings);
        Product(2013, 7).Price = 99.5m;
        var second = await _bed.CrawlAsync(settings);

        Assert.All(first.Concat(second), c => Assert.Null(c.Error));
        var stored = await _bed.ProductsAsync();
        Assert.Equal(_shop.Products.Count, stored.Count);
        var lines = File.ReadAllLines(Path.Combine(_files, "catalogue_products.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(stored.Select(p => p.Sku).Order(StringComparer.Ordinal), lines.Select(l => l.GetProperty("sku").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(lines, l => Assert.Equal(Vendor, l.GetProperty("vendor").GetString()));
        var changed = lines.Single(l => l.GetProperty("sku").GetString() == "QX20130007");
        Assert.Equal(99.5, changed.GetProperty("price").GetDouble());
        Assert.Equal(2013, changed.GetProperty("release_year").GetInt64());
        Assert.Equal(99.5m, stored.Single(p => p.Sku == "QX20130007").Price);
    }

    [Fact]
    public async Task When_a_job_names_a_directory_that_is_not_allowed_Should_fail_the_entry_naming_it_before_fetching_anything()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), $"not-allowed-{Guid.NewGuid():N}");
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => _bed.CrawlAsync(new
        {
            vendors = new[] { Vendor }, base_url = _shop.BaseAddress.ToString(),
            storage = new { type = "csv", settings = new { directory = elsewhere } },
        }));

        Assert.Contains(elsewhere, failure.Message);
        Assert.Contains("Storage:AllowedDirectories", failure.Message);
        Assert.Equal(0, _shop.CountOf(_ => true));
        Assert.False(Directory.Exists(elsewhere));
    }

    [Fact]
    public async Task When_crawling_again_within_the_sync_interval_Should_request_no_year_list_and_no_synced_product()
    {
        var broken = Product(2013, 7);
        broken.Broken = true;
        await _bed.CrawlAsync(Settings());
        var before = await _bed.TimesAsync(Vendor, Product(2014, 1).Sku);
        _shop.ClearRequests();

        var children = await _bed.CrawlAsync(Settings());

        Assert.Equal(0, _shop.CountOf(_shop.StartPath));
        Assert.DoesNotContain(children, c => c.Task == CatalogueIntegration.SyncLinksTask);
        Assert.Equal(6, _shop.CountOf(p => p.StartsWith("/product-category/", StringComparison.Ordinal)));
        // Only the product that never made it into the table is fetched again.
        Assert.Equal([_shop.ProductPath(broken)], _shop.Requests.Select(r => r.PathAndQuery).Where(p => p.StartsWith("/product/", StringComparison.Ordinal)));
        Assert.Equal(before, await _bed.TimesAsync(Vendor, Product(2014, 1).Sku));
    }

    [Fact]
    public async Task When_the_sync_interval_has_passed_Should_fetch_every_product_again_and_record_only_real_changes()
    {
        await _bed.CrawlAsync(Settings());
        var repriced = Product(2013, 9);
        var sold = Product(2014, 2);
        var same = Product(2014, 8);
        var before = await _bed.TimesAsync(Vendor, same.Sku);
        var oldPrice = repriced.Price!.Value;
        repriced.Price = 99.99m;
        sold.Availability = ShopAvailability.OutOfStock;
        _shop.ClearRequests();

        await _bed.CrawlAsync(Settings(syncIntervalHours: 0));

        Assert.Equal(24, _shop.CountOf(p => p.StartsWith("/product/", StringComparison.Ordinal)));
        Assert.Equal(_shop.Products.Select(p => CatalogueTestbed.Expected(_shop, Vendor, p)).OrderBy(p => p.Sku, StringComparer.Ordinal),
            await _bed.ProductsAsync());

        var priceHistory = await _bed.HistoryAsync(Vendor, repriced.Sku);
        Assert.Equal([("price availability", oldPrice), ("price", 99.99m)], priceHistory.Select(h => (string.Join(' ', h.Changed), h.Price!.Value)));
        var availabilityHistory = await _bed.HistoryAsync(Vendor, sold.Sku);
        Assert.Equal([("available", false), ("sold_out", true)],
            availabilityHistory.Select(h => (h.Availability!, h.Changed.SequenceEqual(["availability"]))));
        Assert.True(availabilityHistory[1].ChangedAt > availabilityHistory[0].ChangedAt);
        Assert.Single(await _bed.HistoryAsync(Vendor, same.Sku));

        var after = await _bed.TimesAsync(Vendor, same.Sku);
        Assert.Equal(before.Created, after.Created);
        Assert.True(after.Synced > before.Synced);
    }

    [Fact]
    public async Task When_sync_links_runs_Should_refresh_the_cached_year_links_that_later_crawls_use()
    {
        await _bed.CrawlAsync(Settings());
        _shop.Products.AddRange(ShopProduct.Catalogue([2015], 3));

        await _bed.CrawlAsync(Settings());
        Assert.Equal(0, _shop.CountOf(p => p.StartsWith("/product-category/2015/", StringComparison.Ordinal)));

        _shop.ClearRequests();
        var refresh = await _bed.CrawlAsync(Settings(mode: CatalogueSettings.SyncLinks));
        Assert.Equal([CatalogueIntegration.SyncLinksTask], refresh.Select(c => c.Task));
        Assert.Null(refresh[0].Error);
        Assert.Equal(1, _shop.CountOf(_shop.StartPath));
        Assert.Equal(1, _shop.Requests.Count(r => r.PathAndQuery != "/robots.txt"));

        var children = await _bed.CrawlAsync(Settings());
        Assert.Equal([2013, 2014, 2015], children.Where(c => c.Task == CatalogueIntegration.YearListTask).Select(c => c.Step!.Year!.Value).Order());
        Assert.Equal(3, (await _bed.ProductsAsync()).Count(p => p.ReleaseYear == 2015));
    }

    [Fact]
    public async Task When_a_job_brings_its_own_vendor_definition_with_a_wrong_selector_Should_fail_each_year_list_with_its_url()
    {
        var definition = new
        {
            name = "my_new_shop",
            start_url = new Uri(_shop.BaseAddress, _shop.StartPath).ToString(),
            year_links = "ul.product-categories a",
            product_links = "div.not-there a",
            fields = new { sku = new { selector = "span.sku" }, name = new { selector = "h1" } },
        };

        var children = await _bed.CrawlAsync(new { vendor_definition = definition });

        Assert.Null(Assert.Single(children, c => c.Task == CatalogueIntegration.SyncLinksTask).Error);
        var lists = children.Where(c => c.Task == CatalogueIntegration.YearListTask).ToList();
        Assert.Equal(2, lists.Count);
        Assert.All(lists, c => Assert.Equal($"{c.Step!.Url}: no product links: nothing matches 'div.not-there a'", c.Error));
        Assert.Empty(await _bed.ProductsAsync());
    }
}
