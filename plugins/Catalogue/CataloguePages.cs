using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Jobs.Platforms;

namespace Jobs.Plugins.Catalogue;

/// <summary>A link of the year list: the year's list page and the year.</summary>
public sealed record YearLink(string Url, int Year);

/// <summary>What one list page offers: product links, and where paging goes on.</summary>
public sealed record ListPage(IReadOnlyList<Uri> Products, Uri? Next, Uri? ViewAll);

/// <summary>A product as read from its page, ready for <c>products</c>.</summary>
public sealed record ProductRecord(
    string Vendor, string Sku, string Name, decimal? Price, string? Brand, string Availability, int? ReleaseYear, string Link);

/// <summary>A page that does not have the shape its vendor's definition expects; the message names the URL and what is missing.</summary>
public sealed class CataloguePageException(Uri uri, string reason) : Exception($"{uri}: {reason}")
{
    public Uri Uri { get; } = uri;
}

/// <summary>Reads the three kinds of catalogue page with a vendor's selectors and rules.</summary>
public static class CataloguePages
{
    private static readonly ThreadLocal<HtmlParser> Parser = new(() => new HtmlParser());
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    public static IReadOnlyList<YearLink> YearLinks(VendorDefinition vendor, Uri page, string html, Func<Uri, Uri> rebase)
    {
        using var document = Parse(html);
        var links = new List<YearLink>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var anchor in document.QuerySelectorAll(vendor.YearLinks))
        {
            if (Link(page, anchor, rebase) is not { } url) continue;
            var year = FirstMatch(vendor.YearPattern, Text(anchor)) ?? FirstMatch(vendor.YearPattern, url.ToString());
            if (year is null || !int.TryParse(year, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) continue;
            if (seen.Add(url.ToString())) links.Add(new YearLink(url.ToString(), value));
        }

        return links.Count > 0
            ? links
            : throw new CataloguePageException(page, $"no year links: nothing matches '{vendor.YearLinks}' with a year ('{vendor.YearPattern}')");
    }

    public static ListPage List(VendorDefinition vendor, Uri page, string html, Func<Uri, Uri> rebase)
    {
        using var document = Parse(html);
        var products = document.QuerySelectorAll(vendor.ProductLinks).Select(a => Link(page, a, rebase)).OfType<Uri>().Distinct().ToList();
        var next = vendor.NextPage is { } n ? document.QuerySelector(n) is { } e ? Link(page, e, rebase) : null : null;
        var viewAll = vendor.ViewAll is { } v ? document.QuerySelector(v) is { } a ? Link(page, a, rebase) : null : null;
        return new ListPage(products, next, viewAll);
    }

    /// <param name="link">The URL the product was requested as (what <c>products.link</c> keeps).</param>
    /// <param name="listYear">The year of the list the product was found on: its release year unless the page says otherwise.</param>
    public static ProductRecord Product(VendorDefinition vendor, Uri page, string link, string html, int? listYear)
    {
        using var document = Parse(html);
        var fields = vendor.Fields;
        var sku = Read(fields.Sku, document, page) ?? throw new CataloguePageException(page, $"no sku ({Describe(fields.Sku)})");
        var name = Read(fields.Name, document, page) ?? throw new CataloguePageException(page, $"no name ({Describe(fields.Name)})");
        decimal? price = null;
        if (Read(fields.Price, document, page) is { } priceText)
            price = CleanPrice(priceText) ?? throw new CataloguePageException(page, $"price '{priceText}' is not a number");
        var year = Read(fields.ReleaseYear, document, page) is { } yearText && FirstMatch(@"\d{4}", yearText) is { } digits
            ? int.Parse(digits, CultureInfo.InvariantCulture)
            : listYear;
        return new ProductRecord(vendor.Name, sku, name, price, Read(fields.Brand, document, page),
            Availability(vendor, Read(fields.Availability, document, page)), year, link);
    }

    /// <summary>Keeps the digits and the decimal point ("$1,234.95" is 1234.95); null when no number is left.</summary>
    public static decimal? CleanPrice(string text)
    {
        var kept = new StringBuilder(text.Length);
        foreach (var c in text)
            if (char.IsAsciiDigit(c) || c == '.') kept.Append(c);
        var cleaned = kept.ToString().Trim('.');
        return decimal.TryParse(cleaned, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price) ? price : null;
    }

    /// <summary>The value of the first availability rule whose pattern occurs in <paramref name="text"/>, else the vendor's default.</summary>
    public static string Availability(VendorDefinition vendor, string? text)
    {
        if (text is null) return vendor.AvailabilityDefault;
        foreach (var rule in vendor.AvailabilityRules)
            if (Pattern(rule.Pattern).IsMatch(text)) return rule.Value;
        return vendor.AvailabilityDefault;
    }

    private static IHtmlDocument Parse(string html) => Parser.Value!.ParseDocument(html);

    private static string? Read(FieldRule? rule, IDocument document, Uri page)
    {
        if (rule is null) return null;
        string? raw = null;
        if (rule.Source == FieldSource.Url) raw = page.ToString();
        else if (rule.Selector is { } selector && document.QuerySelector(selector) is { } element)
            raw = rule.Attribute is { } attribute ? element.GetAttribute(attribute) : Text(element);
        if (raw is not null && rule.Pattern is { } pattern) raw = FirstMatch(pattern, raw);
        raw = raw?.Trim();
        return string.IsNullOrEmpty(raw) ? rule.Value : raw;
    }

    private static string Describe(FieldRule? rule) => rule switch
    {
        null => "not configured",
        { Source: FieldSource.Url } => $"URL pattern '{rule.Pattern}'",
        _ => $"selector '{rule.Selector}'{(rule.Attribute is { } a ? $" attribute '{a}'" : "")}{(rule.Pattern is { } p ? $" pattern '{p}'" : "")}",
    };

    private static Uri? Link(Uri page, IElement anchor, Func<Uri, Uri> rebase)
    {
        var href = anchor.GetAttribute("href")?.Trim();
        if (string.IsNullOrEmpty(href) || href.StartsWith('#')) return null;
        if (!Uri.TryCreate(page, href, out var url) || url.Scheme is not ("http" or "https")) return null;
        return rebase(new UriBuilder(url) { Fragment = "" }.Uri);
    }

    private static string Text(IElement element) => Regex.Replace(element.TextContent, @"\s+", " ").Trim();

    private static string? FirstMatch(string pattern, string input)
    {
        var match = Pattern(pattern).Match(input);
        if (!match.Success) return null;
        return match.Groups.Count > 1 ? match.Groups[1].Value : match.Value;
    }

    private static Regex Pattern(string pattern)
    {
        // Jobs bring their own patterns: the cache must not grow with them.
        if (Patterns.Count > 4096) Patterns.Clear();
        return Patterns.GetOrAdd(pattern, p => SafeRegex.Create(p));
    }
}
