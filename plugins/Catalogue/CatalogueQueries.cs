using Npgsql;

namespace Jobs.Plugins.Catalogue;

public sealed record VendorSkuCount(string Vendor, long Skus);

public sealed record ReleaseYearSkuCount(int? ReleaseYear, long Skus);

public sealed record RecentProduct(string Vendor, string Sku, string Name, decimal? Price, int? ReleaseYear, DateTimeOffset CreatedAt);

public sealed record PriceChange(IReadOnlyList<string> Changed, decimal? Price, string? Availability, DateTimeOffset ChangedAt);

/// <summary>
/// The questions the catalogue's users ask of <c>products</c> and <c>product_history</c> (written by the catalogue
/// integration): distinct SKUs by vendor, by release year for a vendor, the newest products, and one product's
/// price and availability over time ("what did it cost in March").
/// </summary>
public static class CatalogueQueries
{
    public const int MaxRecent = 100;

    internal static void Map(IEndpointRouteBuilder data)
    {
        var catalogue = data.MapGroup("/catalogue");
        catalogue.MapGet("/vendors", SkusByVendorAsync).WithName("CatalogueSkusByVendor")
            .WithSummary("Count of distinct SKUs per vendor");
        catalogue.MapGet("/vendors/{vendor}/release-years", SkusByReleaseYearAsync).WithName("CatalogueSkusByReleaseYear")
            .WithSummary("Count of distinct SKUs per release year of one vendor");
        catalogue.MapGet("/products/recent", RecentAsync).WithName("CatalogueRecentProducts")
            .WithSummary("The most recently created products (limit 1-100, default 5)");
        catalogue.MapGet("/vendors/{vendor}/products/{sku}/history", HistoryAsync).WithName("CatalogueProductHistory")
            .WithSummary("A product's price and availability changes, oldest first; 'at' answers what held at that time");
    }

    private static async Task<IResult> SkusByVendorAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        Results.Ok(await PostgresReads.ListAsync(postgres,
            "SELECT vendor, count(DISTINCT sku) FROM products GROUP BY vendor ORDER BY vendor",
            _ => { }, r => new VendorSkuCount(r.GetString(0), r.GetInt64(1)), cancellationToken));

    private static async Task<IResult> SkusByReleaseYearAsync(string vendor, NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        Results.Ok(await PostgresReads.ListAsync(postgres,
            "SELECT release_year, count(DISTINCT sku) FROM products WHERE vendor = @vendor GROUP BY release_year ORDER BY release_year NULLS LAST",
            p => p.AddWithValue("vendor", vendor),
            r => new ReleaseYearSkuCount(r.IsDBNull(0) ? null : r.GetInt32(0), r.GetInt64(1)), cancellationToken));

    private static async Task<IResult> RecentAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken, int? limit = null)
    {
        if (limit is < 1 or > MaxRecent)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"must be between 1 and {MaxRecent}"] });
        return Results.Ok(await PostgresReads.ListAsync(postgres,
            "SELECT vendor, sku, name, price, release_year, created_at FROM products ORDER BY created_at DESC, id DESC LIMIT @limit",
            p => p.AddWithValue("limit", limit ?? 5),
            r => new RecentProduct(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetDecimal(3),
                r.IsDBNull(4) ? null : r.GetInt32(4), r.GetFieldValue<DateTimeOffset>(5)),
            cancellationToken));
    }

    /// <param name="at">Only the change in effect at this time (the last one at or before it): the price the product had then.</param>
    private static async Task<IResult> HistoryAsync(string vendor, string sku, NpgsqlDataSource postgres, CancellationToken cancellationToken,
        DateTimeOffset? at = null)
    {
        var changes = await PostgresReads.ListAsync(postgres, """
            SELECT h.changed, h.price, h.availability, h.changed_at
            FROM product_history h JOIN products p ON p.id = h.product_id
            WHERE p.vendor = @vendor AND p.sku = @sku AND (@at::timestamptz IS NULL OR h.changed_at <= @at)
            ORDER BY h.changed_at, h.id
            """,
            p =>
            {
                p.AddWithValue("vendor", vendor);
                p.AddWithValue("sku", sku);
                p.Add(new NpgsqlParameter<DateTimeOffset?>("at", at?.ToUniversalTime()));
            },
            r => new PriceChange(r.GetFieldValue<string[]>(0), r.IsDBNull(1) ? null : r.GetDecimal(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.GetFieldValue<DateTimeOffset>(3)),
            cancellationToken);
        if (at is not null) changes = changes.Count == 0 ? [] : [changes[^1]];
        return Results.Ok(changes);
    }
}
