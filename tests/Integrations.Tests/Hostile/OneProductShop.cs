using Jobs.TestSupport;
using Microsoft.AspNetCore.Http;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// A shop as a hostile job describes it: a year page with one year, whose list links one "product" wherever the job likes,
/// served by a <see cref="TestShop"/>; <see cref="Definition"/> is the <c>vendor_definition</c> a job would submit for it.
/// </summary>
internal static class OneProductShop
{
    public static void Serve(TestShop shop, string productHref)
    {
        shop.Answer("/years", context => Html(context, """<a class="year" href="/list/2026">2026</a>"""));
        shop.Answer("/list/2026", context => Html(context, $"""<a class="product" href="{productHref}">a product</a>"""));
    }

    /// <param name="origin">The shop's origin as the job names it.</param>
    /// <param name="skuPattern">The SKU field's pattern (the SKU is read from the whole body).</param>
    public static object Definition(string name, Uri origin, string? skuPattern = null) => new
    {
        name,
        start_url = new Uri(origin, "/years").ToString(),
        year_links = "a.year",
        product_links = "a.product",
        fields = new { sku = new { selector = "body", pattern = skuPattern }, name = new { selector = "body" } },
    };

    public static Task Html(HttpContext context, string body)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($"<html><body>{body}</body></html>");
    }
}
