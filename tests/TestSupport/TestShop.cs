using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Jobs.TestSupport;

/// <summary>The page layouts of the three shops the original crawler visited (see the catalogue's vendor definitions).</summary>
public enum ShopShape
{
    /// <summary>WooCommerce-like: category links per year, numbered pages with a "next" link.</summary>
    HookedOnHallmark,

    /// <summary>Old-style listing tables with "next page" and "view all", schema.org microdata on product pages.</summary>
    HallmarkOrnaments,

    /// <summary>A table of years, a grid with a pager, the release year at the start of each name.</summary>
    OrnamentShop,
}

public enum ShopAvailability
{
    InStock,
    OutOfStock,
    PreOrder,
}

/// <summary>A product of the <see cref="TestShop"/>; change it between crawls to see changes recorded.</summary>
public sealed class ShopProduct(int year, string sku, string name)
{
    public int Year { get; } = year;

    public string Sku { get; } = sku;

    public string Name { get; set; } = name;

    public decimal? Price { get; set; }

    public string Brand { get; set; } = "Hallmark";

    public ShopAvailability Availability { get; set; } = ShopAvailability.InStock;

    /// <summary>Serves the product page without its SKU: a page the crawler cannot parse.</summary>
    public bool Broken { get; set; }

    public string Slug => Sku.ToLowerInvariant();

    /// <summary><paramref name="perYear"/> products for each year, named "YEAR Ornament N", priced from 10.95 up.</summary>
    public static List<ShopProduct> Catalogue(IEnumerable<int> years, int perYear) =>
        years.SelectMany(year => Enumerable.Range(1, perYear).Select(i => new ShopProduct(year, $"QX{year}{i:D4}", $"{year} Ornament {i}")
        {
            Price = 10.95m + i % 50 + (year % 10) * 100,
        })).ToList();
}

/// <summary>
/// A shop served by the tests (Kestrel on a free loopback port) in one of the three original shapes, with robots.txt,
/// pagination, broken pages and 429s on request, and a log of every request it answered.
/// </summary>
public sealed class TestShop : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ShopRequest> _requests = new();
    private readonly ConcurrentDictionary<string, int> _throttled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _answers = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private TestShop(WebApplication app, ShopShape shape, List<ShopProduct> products, int pageSize)
    {
        _app = app;
        Shape = shape;
        Products = products;
        PageSize = pageSize;
    }

    public ShopShape Shape { get; }

    /// <summary>What the shop sells; change it between crawls (not during one).</summary>
    public List<ShopProduct> Products { get; }

    public int PageSize { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Served at /robots.txt; null answers 404.</summary>
    public string? RobotsTxt { get; set; } = "User-agent: *\nDisallow:\n";

    /// <summary>One request the shop answered, with its arrival time since the shop started.</summary>
    public sealed record ShopRequest(string PathAndQuery, TimeSpan At, string? UserAgent, int Status);

    public IReadOnlyList<ShopRequest> Requests => _requests.ToArray();

    /// <summary>The path of the year-list page.</summary>
    public string StartPath => Shape switch
    {
        ShopShape.HookedOnHallmark => "/hallmark-ornaments-by-year/",
        ShopShape.HallmarkOrnaments => "/ornaments-by-year.html",
        _ => "/hallmark-ornaments-by-year.htm",
    };

    public static async Task<TestShop> StartAsync(ShopShape shape, List<ShopProduct> products, int pageSize = 10)
    {
        var app = LoopbackHttp.Create();
        var shop = new TestShop(app, shape, products, pageSize);
        app.Run(shop.HandleAsync);
        shop.BaseAddress = await LoopbackHttp.StartAsync(app);
        return shop;
    }

    /// <summary>The path (and query) of a product's page.</summary>
    public string ProductPath(ShopProduct product) => Shape switch
    {
        ShopShape.HookedOnHallmark => $"/product/{product.Slug}/",
        ShopShape.HallmarkOrnaments => $"/product_info.php?products_id={product.Slug}",
        _ => $"/item/{product.Slug}.htm",
    };

    /// <summary>The absolute URL of a product's page (what the crawler stores as its link).</summary>
    public string ProductUrl(ShopProduct product) => new Uri(BaseAddress, ProductPath(product)).ToString();

    /// <summary>The next <paramref name="times"/> requests of <paramref name="pathAndQuery"/> are answered 429 with <c>Retry-After</c>.</summary>
    public void Throttle(string pathAndQuery, int times = 1) => _throttled[pathAndQuery] = times;

    /// <summary>Answers <paramref name="pathAndQuery"/> with <paramref name="handler"/> instead of the shop's page.</summary>
    public void Answer(string pathAndQuery, Func<HttpContext, Task> handler) => _answers[pathAndQuery] = handler;

    public int CountOf(string pathAndQuery) => _requests.Count(r => r.PathAndQuery == pathAndQuery);

    public int CountOf(Func<string, bool> predicate) => _requests.Count(r => predicate(r.PathAndQuery));

    public void ClearRequests() => _requests.Clear();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var target = request.Path.Value + request.QueryString.Value;
        if (_answers.TryGetValue(target, out var handler))
        {
            var at = _clock.Elapsed;
            try
            {
                await handler(context);
            }
            finally
            {
                _requests.Enqueue(new ShopRequest(target, at, request.Headers.UserAgent.ToString(), context.Response.StatusCode));
            }

            return;
        }

        var (status, body) = Answer(request.Path.Value ?? "/", request.Query);
        if (status == 200 && _throttled.TryGetValue(target, out var left) && left > 0)
        {
            _throttled[target] = left - 1;
            status = 429;
            body = "slow down";
            context.Response.Headers.RetryAfter = "1";
        }

        _requests.Enqueue(new ShopRequest(target, _clock.Elapsed, request.Headers.UserAgent.ToString(), status));
        context.Response.StatusCode = status;
        context.Response.ContentType = request.Path == "/robots.txt" ? "text/plain" : "text/html; charset=utf-8";
        await context.Response.WriteAsync(body);
    }

    private (int Status, string Body) Answer(string path, IQueryCollection query)
    {
        if (path == "/robots.txt") return RobotsTxt is null ? (404, "") : (200, RobotsTxt);
        if (path == "/ping") return (200, "pong");
        if (path == StartPath) return (200, YearListPage());
        switch (Shape)
        {
            case ShopShape.HookedOnHallmark when path.StartsWith("/product-category/", StringComparison.Ordinal):
            {
                var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // product-category/YEAR[/page/N]
                var page = parts.Length >= 4 ? Int(parts[3]) : 1;
                return ListPage(Int(parts[1]), page, viewAll: false);
            }
            case ShopShape.HookedOnHallmark when path.StartsWith("/product/", StringComparison.Ordinal):
                return ProductPage(path.Split('/', StringSplitOptions.RemoveEmptyEntries)[1]);
            case ShopShape.HallmarkOrnaments when path.EndsWith("-hallmark-keepsake-ornaments.html", StringComparison.Ordinal):
                return ListPage(Int(path[1..5]), query["page"] == "all" ? 1 : Int(query["page"].FirstOrDefault() ?? "1"), query["page"] == "all");
            case ShopShape.HallmarkOrnaments when path == "/product_info.php":
                return ProductPage(query["products_id"].FirstOrDefault() ?? "");
            case ShopShape.OrnamentShop when path.StartsWith("/hallmark-", StringComparison.Ordinal) && path.EndsWith("-ornaments.htm", StringComparison.Ordinal):
                return ListPage(Int(path["/hallmark-".Length..][..4]), Int(query["pg"].FirstOrDefault() ?? "1"), viewAll: false);
            case ShopShape.OrnamentShop when path.StartsWith("/item/", StringComparison.Ordinal):
                return ProductPage(path["/item/".Length..].Replace(".htm", "", StringComparison.Ordinal));
        }

        return (404, "<html><body>not found</body></html>");
    }

    private static int Int(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;

    private IEnumerable<int> Years() => Products.Select(p => p.Year).Distinct().Order();

    private string YearPath(int year, int page) => Shape switch
    {
        ShopShape.HookedOnHallmark => page == 1 ? $"/product-category/{year}/" : $"/product-category/{year}/page/{page}/",
        ShopShape.HallmarkOrnaments => $"/{year}-hallmark-keepsake-ornaments.html?page={page}",
        _ => $"/hallmark-{year}-ornaments.htm?pg={page}",
    };

    private string YearListPage()
    {
        var html = new StringBuilder("<html><head><title>Ornaments by year</title></head><body>");
        switch (Shape)
        {
            case ShopShape.HookedOnHallmark:
                html.Append("<ul class=\"product-categories\"><li class=\"cat-item\"><a href=\"/shop/\">All ornaments</a></li>");
                foreach (var year in Years()) html.Append($"<li class=\"cat-item\"><a href=\"{YearPath(year, 1)}\">{year}</a></li>");
                html.Append("</ul>");
                break;
            case ShopShape.HallmarkOrnaments:
                html.Append("<div id=\"year-nav\">");
                foreach (var year in Years()) html.Append($"<a href=\"{new Uri(BaseAddress, YearPath(year, 1))}\">{year} Ornaments</a> | ");
                html.Append("</div>");
                break;
            default:
                html.Append("<table class=\"years\"><tr>");
                foreach (var year in Years()) html.Append($"<td><a href=\"{YearPath(year, 1)}\">{year} Hallmark Ornaments</a></td>");
                html.Append("</tr></table>");
                break;
        }

        return html.Append("</body></html>").ToString();
    }

    private (int, string) ListPage(int year, int page, bool viewAll)
    {
        var all = Products.Where(p => p.Year == year).ToList();
        var pages = Math.Max(1, (all.Count + PageSize - 1) / PageSize);
        if (all.Count == 0 || page < 1 || page > pages) return (404, "<html><body>no such page</body></html>");
        var shown = viewAll ? all : all.Skip((page - 1) * PageSize).Take(PageSize).ToList();
        var next = !viewAll && page < pages ? YearPath(year, page + 1) : null;
        var html = new StringBuilder($"<html><head><title>{year}</title></head><body>");
        switch (Shape)
        {
            case ShopShape.HookedOnHallmark:
                html.Append("<ul class=\"products\">");
                foreach (var p in shown)
                    html.Append($"<li class=\"product\"><a class=\"woocommerce-LoopProduct-link\" href=\"{new Uri(BaseAddress, ProductPath(p))}\"><h2 class=\"woocommerce-loop-product__title\">{Encode(p.Name)}</h2></a></li>");
                html.Append("</ul><nav class=\"woocommerce-pagination\">");
                if (next is not null) html.Append($"<a class=\"page-numbers\" href=\"{YearPath(year, page + 1)}\">{page + 1}</a><a class=\"next page-numbers\" href=\"{next}\">&rarr;</a>");
                html.Append("</nav>");
                break;
            case ShopShape.HallmarkOrnaments:
                html.Append("<table class=\"productListing\">");
                foreach (var p in shown)
                    html.Append($"<tr><td class=\"productListing-data\"><a class=\"product-name\" href=\"{ProductPath(p)}\">{Encode(p.Name)}</a></td></tr>");
                html.Append("</table>");
                if (next is not null) html.Append($"<a class=\"next-page\" href=\"{next}\">Next &gt;&gt;</a>");
                if (!viewAll && pages > 1) html.Append($"<a class=\"view-all\" href=\"?page=all\">View All</a>");
                break;
            default:
                html.Append("<div class=\"item-grid\">");
                foreach (var p in shown)
                    html.Append($"<div class=\"item\"><a class=\"item-link\" href=\"{ProductPath(p)}\">{Encode(p.Name)}</a></div>");
                html.Append("</div>");
                if (next is not null) html.Append($"<a class=\"pager-next\" href=\"{next}\">Next</a>");
                break;
        }

        return (200, html.Append("</body></html>").ToString());
    }

    private (int, string) ProductPage(string slug)
    {
        var p = Find(slug);
        if (p is null) return (404, "<html><body>no such product</body></html>");
        var price = p.Price?.ToString("N2", CultureInfo.InvariantCulture);
        var name = Encode(p.Name);
        var html = new StringBuilder($"<html><head><title>{name}</title></head><body>");
        switch (Shape)
        {
            case ShopShape.HookedOnHallmark:
                html.Append($"<div class=\"summary\"><h1 class=\"product_title entry-title\">{name}</h1>");
                if (price is not null)
                    html.Append($"<p class=\"price\"><span class=\"woocommerce-Price-amount amount\"><bdi><span class=\"woocommerce-Price-currencySymbol\">$</span>{price}</bdi></span></p>");
                html.Append($"<p class=\"stock\">{p.Availability switch
                {
                    ShopAvailability.InStock => "In Stock - Ships Next Business Day",
                    ShopAvailability.OutOfStock => "Out of stock",
                    _ => "Available on backorder",
                }}</p><div class=\"product_meta\">");
                if (!p.Broken) html.Append($"<span class=\"sku_wrapper\">SKU: <span class=\"sku\">{Encode(p.Sku)}</span></span>");
                html.Append($"<span class=\"posted_in\">Category: <a href=\"{YearPath(p.Year, 1)}\">{p.Year}</a></span></div></div>");
                break;
            case ShopShape.HallmarkOrnaments:
                html.Append($"<div itemscope itemtype=\"https://schema.org/Product\"><h1 itemprop=\"name\">{name}</h1>");
                if (!p.Broken) html.Append($"<meta itemprop=\"sku\" content=\"{Encode(p.Sku)}\">");
                html.Append($"<meta itemprop=\"brand\" content=\"{Encode(p.Brand)}\"><div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">");
                if (price is not null)
                    html.Append($"Price: <span itemprop=\"price\" content=\"{p.Price!.Value.ToString(CultureInfo.InvariantCulture)}\">${price}</span>");
                html.Append($"<link itemprop=\"availability\" href=\"https://schema.org/{p.Availability switch
                {
                    ShopAvailability.InStock => "InStock",
                    ShopAvailability.OutOfStock => "OutOfStock",
                    _ => "PreOrder",
                }}\"></div><table><tr><th>Year</th><td class=\"release-year\">{p.Year}</td></tr></table></div>");
                break;
            default:
                html.Append($"<div id=\"product\"><h1>{name}</h1><div class=\"brand\">{Encode(p.Brand)}</div>");
                if (!p.Broken) html.Append($"<div class=\"item-number\">Item #: {Encode(p.Sku)}</div>");
                if (price is not null) html.Append($"<div class=\"our-price\">Our Price: ${price}</div>");
                html.Append($"<div class=\"availability\">{p.Availability switch
                {
                    ShopAvailability.InStock => "Available",
                    ShopAvailability.OutOfStock => "Sold Out",
                    _ => "Coming Soon",
                }}</div></div>");
                break;
        }

        return (200, html.Append("</body></html>").ToString());
    }

    private Dictionary<string, ShopProduct>? _bySlug;

    private ShopProduct? Find(string slug)
    {
        var index = _bySlug;
        if (index is null || index.Count != Products.Count) _bySlug = index = Products.ToDictionary(p => p.Slug);
        return index.GetValueOrDefault(slug);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
