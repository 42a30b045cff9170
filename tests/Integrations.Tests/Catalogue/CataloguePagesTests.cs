using System.Text.Json;
using Jobs.Plugins.Catalogue;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests.Catalogue;

public sealed class CataloguePagesTests
{
    private static readonly VendorCatalog Shipped = new(Options.Create(new CatalogueOptions()));

    [Theory]
    [InlineData("$1,234.95", "1234.95")]
    [InlineData("Our Price: $29.99", "29.99")]
    [InlineData(" 14.95 USD", "14.95")]
    [InlineData("Price: 9.", "9")]
    public void When_cleaning_a_price_Should_keep_only_the_digits_and_the_decimal_point(string text, string price)
    {
        Assert.Equal(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), CataloguePages.CleanPrice(text));
    }

    [Theory]
    [InlineData("Call for price")]
    [InlineData("1.234.95")]
    public void When_a_price_has_no_single_number_Should_read_none(string text)
    {
        Assert.Null(CataloguePages.CleanPrice(text));
    }

    [Theory]
    [InlineData("In Stock - Ships Next Business Day", "available")]
    [InlineData("Out of stock", "sold_out")]
    [InlineData("Available on backorder", "preorder")]
    [InlineData("Ask us", "unknown")]
    [InlineData(null, "unknown")]
    public void When_reading_availability_Should_apply_the_vendors_rules_in_order(string? text, string value)
    {
        Assert.Equal(value, CataloguePages.Availability(Shipped.Find("hookedonhallmark_com")!, text));
    }

    [Fact]
    public void When_the_service_starts_Should_offer_the_three_shipped_vendors()
    {
        Assert.Equal(["hallmark_ornaments_com", "hookedonhallmark_com", "ornament_shop_com"], Shipped.Names.Order());
    }

    [Fact]
    public void When_a_product_page_lacks_a_required_field_Should_fail_naming_the_url_and_the_selector()
    {
        var vendor = Shipped.Find("ornament_shop_com")!;
        var page = new Uri("https://www.ornament-shop.com/item/qx1.htm");

        var error = Assert.Throws<CataloguePageException>(() =>
            CataloguePages.Product(vendor, page, page.ToString(), "<div id=product><div class=item-number>Item #: QX1</div></div>", 2001));

        Assert.Equal($"{page}: no name (selector 'div#product h1')", error.Message);
    }

    [Fact]
    public void When_a_product_page_shows_no_year_Should_take_the_year_of_its_list()
    {
        var vendor = Shipped.Find("hookedonhallmark_com")!;
        var page = new Uri("https://www.hookedonhallmark.com/product/x/");

        var product = CataloguePages.Product(vendor, page, page.ToString(),
            "<h1 class=product_title>Snowman</h1><span class=sku>QX9</span><p class=price><span class=woocommerce-Price-amount>$5</span></p>", 1999);

        Assert.Equal(new ProductRecord("hookedonhallmark_com", "QX9", "Snowman", 5m, "Hallmark", "unknown", 1999, page.ToString()), product);
    }

    [Fact]
    public void When_a_vendor_definition_is_wrong_Should_refuse_it_naming_every_problem()
    {
        var json = JsonDocument.Parse("""
            {"name": "Bad Shop", "start_url": "ftp://x", "year_links": "a[", "product_links": "",
             "fields": {"sku": {"pattern": "("}}, "availability_rules": [{"pattern": "[", "value": "x"}]}
            """).RootElement;

        var error = Assert.Throws<InvalidDataException>(() => VendorCatalog.Parse(json, "vendor_definition"));

        foreach (var problem in new[]
                 {
                     "name 'Bad Shop'", "start_url 'ftp://x'", "year_links 'a[' is not a valid CSS selector", "product_links is required",
                     "fields.sku needs a selector", "fields.sku.pattern '('", "fields.name is required", "availability_rules[0].pattern '['",
                 })
            Assert.Contains(problem, error.Message);
    }
}
