using System.Text.Json;
using System.Text.RegularExpressions;

namespace Jobs.Plugins.Rest;

/// <summary>
/// The placeholders of a <c>rest</c> source's URL, query, headers and body: <c>{start_date}</c>, <c>{end_date}</c>, <c>{page}</c>,
/// <c>{offset}</c>, <c>{limit}</c>, <c>{cursor}</c> and <c>{since}</c>. Other braces (a JSON body's) are text; a
/// <c>{name}</c> of letters and <c>_</c> that is none of these is an unknown placeholder, refused before any request.
/// </summary>
internal static partial class RestTemplate
{
    public const string StartDate = "start_date";
    public const string EndDate = "end_date";
    public const string Page = "page";
    public const string Offset = "offset";
    public const string Limit = "limit";
    public const string Cursor = "cursor";
    public const string Since = "since";

    public static readonly string[] Known = [StartDate, EndDate, Page, Offset, Limit, Cursor, Since];

    /// <summary>The placeholders <paramref name="template"/> uses, known or not.</summary>
    public static IEnumerable<string> Used(string? template) =>
        template is null ? [] : Placeholder().Matches(template).Select(m => m.Groups[1].Value);

    /// <summary><paramref name="template"/> with each placeholder replaced by its value (escaped by <paramref name="escape"/>); a placeholder without a value becomes empty.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string?> values, Func<string, string>? escape = null) =>
        Placeholder().Replace(template, m =>
            values.TryGetValue(m.Groups[1].Value, out var value) ? escape is null ? value ?? "" : escape(value ?? "") : m.Value);

    /// <summary>Whether <paramref name="template"/> is one placeholder and nothing else (a query parameter left out when it is empty).</summary>
    public static bool IsOnlyPlaceholder(string template) => Placeholder().Match(template) is { Success: true } m && m.Length == template.Length;

    /// <summary>A value inside a JSON string literal: escaped, without the quotes.</summary>
    public static string JsonEscape(string value) => JsonSerializer.Serialize(value)[1..^1];

    [GeneratedRegex(@"\{([a-z_]+)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
