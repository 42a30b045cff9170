using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Catalogue;

/// <summary>Each shipped vendor definition reads a shop of its shape completely: paging or "view all", fields, availability rules.</summary>
public sealed class VendorShapesTests(HostFixture host) : IClassFixture<HostFixture>
{
    [Theory]
    [InlineData(ShopShape.HookedOnHallmark, "hookedonhallmark_com")]
    [InlineData(ShopShape.HallmarkOrnaments, "hallmark_ornaments_com")]
    [InlineData(ShopShape.OrnamentShop, "ornament_shop_com")]
    public async Task When_crawling_a_shop_of_a_vendors_shape_Should_store_all_its_products_with_every_field(ShopShape shape, string vendor)
    {
        await using var bed = new CatalogueTestbed(host);
        await bed.ResetTablesAsync();
        var products = ShopProduct.Catalogue([1998, 2021], 7);
        products[0].Availability = ShopAvailability.OutOfStock;
        products[1].Availability = ShopAvailability.PreOrder;
        products[2].Price = 2150m;
        products[3].Brand = "Keepsake";
        await using var shop = await TestShop.StartAsync(shape, products, pageSize: 3);

        var children = await bed.CrawlAsync(new { vendors = new[] { vendor }, base_url = shop.BaseAddress.ToString() });

        Assert.All(children, c => Assert.Null(c.Error));
        var expected = products.Select(p => CatalogueTestbed.Expected(shop, vendor, p))
            // The first shop names no brand on its pages: its definition says Hallmark.
            .Select(p => shape == ShopShape.HookedOnHallmark ? p with { Brand = "Hallmark" } : p)
            .OrderBy(p => p.Sku, StringComparer.Ordinal);
        Assert.Equal(expected, await bed.ProductsAsync());
    }
}
