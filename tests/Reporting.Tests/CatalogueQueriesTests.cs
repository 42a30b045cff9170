using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Plugins.Catalogue;
using Npgsql;

namespace Jobs.Reporting.Tests;

/// <summary>The catalogue's data queries over tables shaped as the catalogue integration creates them, filled by the test.</summary>
public sealed class CatalogueQueriesTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task InitializeAsync()
    {
        var postgres = reporting.Postgres;
        // The tables as the catalogue integration creates them.
        await ProductStore.EnsureSchemaAsync(postgres, CancellationToken.None);
        await using (var truncate = postgres.CreateCommand("TRUNCATE products, product_history"))
            await truncate.ExecuteNonQueryAsync();
        // Vendor a: 1998 x2, 2014 x3, one without a year; vendor b: 2014 x2. Created one day apart, in this order.
        var rows = new (string Vendor, string Sku, int? Year)[]
        {
            ("a", "A1", 1998), ("a", "A2", 1998), ("a", "A3", 2014), ("a", "A4", 2014), ("a", "A5", 2014), ("a", "A6", null),
            ("b", "B1", 2014), ("b", "B2", 2014),
        };
        for (var i = 0; i < rows.Length; i++)
        {
            await using var insert = postgres.CreateCommand("""
                INSERT INTO products (vendor, sku, name, price, release_year, link, last_synced_at, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                """);
            insert.Parameters.AddWithValue(rows[i].Vendor);
            insert.Parameters.AddWithValue(rows[i].Sku);
            insert.Parameters.AddWithValue($"Ornament {rows[i].Sku}");
            insert.Parameters.AddWithValue(10m + i);
            insert.Parameters.AddWithValue(rows[i].Year is { } year ? year : DBNull.Value);
            insert.Parameters.AddWithValue($"https://shop.example/{rows[i].Sku}");
            insert.Parameters.AddWithValue(Day.AddDays(i));
            await insert.ExecuteNonQueryAsync();
        }

        // A1: 14.95 from January, 12.50 from 1 March, sold out from 1 April.
        await using var history = postgres.CreateCommand("""
            INSERT INTO product_history (product_id, changed, price, availability, changed_at)
            SELECT id, c.changed, c.price, c.availability, c.changed_at FROM products,
                (VALUES ('{price,availability}'::text[], 14.95, 'available', '2026-01-01T00:00:00Z'::timestamptz),
                        ('{price}', 12.50, 'available', '2026-03-01T00:00:00Z'),
                        ('{availability}', 12.50, 'sold_out', '2026-04-01T00:00:00Z')) AS c(changed, price, availability, changed_at)
            WHERE vendor = 'a' AND sku = 'A1'
            """);
        await history.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<JsonElement> GetAsync(string path) => reporting.Client.GetFromJsonAsync<JsonElement>(path);

    [Fact]
    public async Task When_asking_for_skus_by_vendor_Should_count_distinct_skus_of_each()
    {
        var counts = await GetAsync("/data/catalogue/vendors");

        Assert.Equal([("a", 6), ("b", 2)], counts.EnumerateArray().Select(c => (c.GetProperty("vendor").GetString(), c.GetProperty("skus").GetInt32())));
    }

    [Fact]
    public async Task When_asking_for_a_vendors_release_years_Should_count_its_skus_per_year_only()
    {
        var counts = await GetAsync("/data/catalogue/vendors/a/release-years");

        Assert.Equal([(1998, 2), (2014, 3), ((int?)null, 1)], counts.EnumerateArray()
            .Select(c => (c.GetProperty("releaseYear").ValueKind == JsonValueKind.Null ? null : (int?)c.GetProperty("releaseYear").GetInt32(),
                c.GetProperty("skus").GetInt32())));
    }

    [Fact]
    public async Task When_asking_for_recent_products_Should_list_the_five_created_last_newest_first()
    {
        var recent = await GetAsync("/data/catalogue/products/recent");

        Assert.Equal(["B2", "B1", "A6", "A5", "A4"], recent.EnumerateArray().Select(p => p.GetProperty("sku").GetString()));
        var newest = recent[0];
        Assert.Equal(("Ornament B2", 17m, 2014, Day.AddDays(7)), (newest.GetProperty("name").GetString(), newest.GetProperty("price").GetDecimal(),
            newest.GetProperty("releaseYear").GetInt32(), newest.GetProperty("createdAt").GetDateTimeOffset()));
        Assert.Equal(2, (await GetAsync("/data/catalogue/products/recent?limit=2")).GetArrayLength());
    }

    [Fact]
    public async Task When_the_limit_is_out_of_range_Should_answer_a_validation_problem()
    {
        var response = await reporting.Client.GetAsync("/data/catalogue/products/recent?limit=1000");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("limit", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task When_asking_for_a_products_history_Should_list_every_change_and_answer_what_it_cost_at_a_time()
    {
        var history = await GetAsync("/data/catalogue/vendors/a/products/A1/history");
        var march = await GetAsync("/data/catalogue/vendors/a/products/A1/history?at=2026-03-15T00:00:00Z");
        var beforeAnything = await GetAsync("/data/catalogue/vendors/a/products/A1/history?at=2025-12-01T00:00:00Z");

        Assert.Equal([(14.95m, "available"), (12.50m, "available"), (12.50m, "sold_out")],
            history.EnumerateArray().Select(h => (h.GetProperty("price").GetDecimal(), h.GetProperty("availability").GetString())));
        Assert.Equal(["availability"], history[2].GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        var then = Assert.Single(march.EnumerateArray());
        Assert.Equal((12.50m, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)),
            (then.GetProperty("price").GetDecimal(), then.GetProperty("changedAt").GetDateTimeOffset()));
        Assert.Empty(beforeAnything.EnumerateArray());
        Assert.Empty((await GetAsync("/data/catalogue/vendors/b/products/A1/history")).EnumerateArray());
    }

    [Fact]
    public async Task When_asking_without_a_key_Should_be_refused()
    {
        using var anonymous = reporting.ClientWith(null);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/data/catalogue/vendors")).StatusCode);
    }
}
