using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Jobs.Platforms;

namespace Jobs.Plugins.Catalogue;

/// <summary>
/// A shop, described by configuration rather than code: where its year list is, the CSS selectors of its links and
/// product fields, and its rules for price, availability and release year. Written in snake_case JSON (the files in
/// <c>Catalogue/Vendors</c>, a <c>Catalogue:VendorDirectory</c>, or a job's <c>vendor_definition</c>).
/// </summary>
public sealed record VendorDefinition
{
    /// <summary>The vendor's name in <c>products.vendor</c> (lower case, such as <c>hookedonhallmark_com</c>).</summary>
    public string Name { get; init; } = "";

    /// <summary>The page listing the years (absolute URL).</summary>
    public string StartUrl { get; init; } = "";

    /// <summary>Selector of the year links on the start page.</summary>
    public string YearLinks { get; init; } = "";

    /// <summary>Finds the year in a year link's text (else in its href); links without one are not years.</summary>
    public string YearPattern { get; init; } = @"\b((?:19|20)\d{2})\b";

    /// <summary>Selector of the product links on a year's list page.</summary>
    public string ProductLinks { get; init; } = "";

    /// <summary>Selector of the "next page" link of a list page, if the shop pages.</summary>
    public string? NextPage { get; init; }

    /// <summary>Selector of a "view all" link; when a list page has one it is followed instead of paging.</summary>
    public string? ViewAll { get; init; }

    /// <summary>List pages followed per year at most (a guard against pagination loops).</summary>
    public int MaxPages { get; init; } = 500;

    public ProductFields Fields { get; init; } = new();

    /// <summary>Availability text to value, first matching pattern (case-insensitive) wins.</summary>
    public List<AvailabilityRule> AvailabilityRules { get; init; } = [];

    /// <summary>Availability when no rule matches or the page shows none.</summary>
    public string AvailabilityDefault { get; init; } = "unknown";

    /// <summary>The problems of this definition (missing fields, selectors or patterns that do not compile); empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Regex.IsMatch(Name, "^[a-z0-9_.-]+$")) problems.Add($"name '{Name}' must be lower-case letters, digits, '_', '.' or '-'");
        if (!Uri.TryCreate(StartUrl, UriKind.Absolute, out var start) || start.Scheme is not ("http" or "https"))
            problems.Add($"start_url '{StartUrl}' must be an absolute http(s) URL");
        CheckSelector(problems, "year_links", YearLinks, required: true);
        CheckSelector(problems, "product_links", ProductLinks, required: true);
        CheckSelector(problems, "next_page", NextPage, required: false);
        CheckSelector(problems, "view_all", ViewAll, required: false);
        CheckPattern(problems, "year_pattern", YearPattern);
        foreach (var (field, rule, required) in Fields.All())
        {
            if (rule is null)
            {
                if (required) problems.Add($"fields.{field} is required");
                continue;
            }

            if (rule.Selector is null && rule.Value is null && rule.Source != FieldSource.Url)
                problems.Add($"fields.{field} needs a selector, a value or source 'url'");
            CheckSelector(problems, $"fields.{field}.selector", rule.Selector, required: false);
            CheckPattern(problems, $"fields.{field}.pattern", rule.Pattern);
        }

        foreach (var (rule, i) in AvailabilityRules.Select((r, i) => (r, i)))
            CheckPattern(problems, $"availability_rules[{i}].pattern", rule.Pattern);
        return problems;
    }

    private static readonly HtmlParser Probe = new();

    private static void CheckSelector(List<string> problems, string field, string? selector, bool required)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            if (required) problems.Add($"{field} is required");
            return;
        }

        try
        {
            lock (Probe) Probe.ParseDocument("").QuerySelector(selector);
        }
        catch (Exception e) when (e is AngleSharp.Dom.DomException or ArgumentException)
        {
            problems.Add($"{field} '{selector}' is not a valid CSS selector");
        }
    }

    private static void CheckPattern(List<string> problems, string field, string? pattern)
    {
        if (pattern is not null && SafeRegex.Problem(pattern) is { } problem) problems.Add($"{field} {problem}");
    }
}

/// <summary>How each product field is read from a product page.</summary>
public sealed record ProductFields
{
    public FieldRule? Sku { get; init; }

    public FieldRule? Name { get; init; }

    /// <summary>Cleaned to digits and the decimal point before it is read as a number.</summary>
    public FieldRule? Price { get; init; }

    public FieldRule? Brand { get; init; }

    /// <summary>Its text goes through the vendor's availability rules.</summary>
    public FieldRule? Availability { get; init; }

    /// <summary>When absent, or it finds no year, the year of the list the product was found on.</summary>
    public FieldRule? ReleaseYear { get; init; }

    internal IEnumerable<(string Field, FieldRule? Rule, bool Required)> All() =>
    [
        ("sku", Sku, true), ("name", Name, true), ("price", Price, false), ("brand", Brand, false),
        ("availability", Availability, false), ("release_year", ReleaseYear, false),
    ];
}

public enum FieldSource
{
    Page,
    Url,
}

/// <summary>
/// One field: the text (or <see cref="Attribute"/>) of the first element matching <see cref="Selector"/>, or the page's
/// URL with <see cref="Source"/> <c>url</c>; then <see cref="Pattern"/>'s first group (or whole match); else <see cref="Value"/>.
/// </summary>
public sealed record FieldRule
{
    public string? Selector { get; init; }

    public string? Attribute { get; init; }

    public string? Pattern { get; init; }

    /// <summary>A constant (such as the brand of a one-brand shop), used when nothing was found.</summary>
    public string? Value { get; init; }

    public FieldSource Source { get; init; } = FieldSource.Page;
}

public sealed record AvailabilityRule(string Pattern, string Value);
