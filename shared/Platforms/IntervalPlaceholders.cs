using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Jobs.Platforms;

/// <summary>
/// The data interval a run of a schedule covers: from the cron expression's fire time before the run's fire time
/// (<see cref="Start"/>, inclusive) to the run's own (<see cref="End"/>, exclusive), each with the offset of the schedule's
/// time zone at that instant.
/// </summary>
public readonly record struct DataInterval(DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// <c>{interval_start}</c> and <c>{interval_end}</c> in a schedule's settings: in every string value anywhere in the settings JSON
/// (not in property names), replaced at each fire by the fire's <see cref="DataInterval"/>. Without a format a value is ISO 8601
/// with the offset of the schedule's time zone (<c>2026-03-01T13:00:00+01:00</c>); <c>{interval_start:yyyy-MM-dd}</c> formats it
/// with a .NET date format (invariant culture) instead. Any other <c>{name}</c> or <c>{name:format}</c> (a letter or '_' first,
/// then letters, digits or '_') is an unknown placeholder, refused when the schedule is saved. Other braces (<c>\d{2}</c>, <c>{}</c>)
/// are text.
/// </summary>
public static partial class IntervalPlaceholders
{
    public const string IntervalStart = "interval_start";
    public const string IntervalEnd = "interval_end";

    /// <summary>The format of a placeholder without one: ISO 8601 to the second, with the offset.</summary>
    public const string DefaultFormat = "yyyy-MM-dd'T'HH:mm:sszzz";

    public static IReadOnlyList<string> Known { get; } = [IntervalStart, IntervalEnd];

    /// <summary>
    /// Every problem of the placeholders in <paramref name="settings"/>, keyed by the path of the string that holds it
    /// (<c>note</c>, <c>vendors[1]</c>, <c>vendor_definition.base_url</c>): unknown names and formats .NET cannot format a date with.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> Problems(JsonElement settings)
    {
        var problems = new Dictionary<string, List<string>>();
        foreach (var (path, text) in Strings(settings, ""))
        {
            foreach (Match match in Placeholder().Matches(text))
            {
                var problem = Problem(match);
                if (problem is null) continue;
                if (!problems.TryGetValue(path, out var list)) problems[path] = list = [];
                list.Add(problem);
            }
        }

        return problems.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    /// <summary>Whether <paramref name="settings"/> holds any placeholder, known or not.</summary>
    public static bool Any(JsonElement settings) => Strings(settings, "").Any(s => Placeholder().IsMatch(s.Text));

    /// <summary>
    /// <paramref name="settings"/> with every placeholder replaced by <paramref name="interval"/>'s value (call it on settings whose
    /// <see cref="Problems"/> are none; an unknown placeholder is left as it is).
    /// </summary>
    public static JsonElement Resolve(JsonElement settings, DataInterval interval)
    {
        if (!Any(settings)) return settings.Clone();
        var node = JsonNode.Parse(settings.GetRawText());
        return JsonSerializer.SerializeToElement(Replace(node, interval));
    }

    /// <summary>One string with its placeholders replaced.</summary>
    public static string Resolve(string text, DataInterval interval) =>
        Placeholder().Replace(text, match =>
        {
            if (Problem(match) is not null) return match.Value;
            var value = match.Groups["name"].Value == IntervalStart ? interval.Start : interval.End;
            return value.ToString(match.Groups["format"].Success ? match.Groups["format"].Value : DefaultFormat, CultureInfo.InvariantCulture);
        });

    private static JsonNode? Replace(JsonNode? node, DataInterval interval)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj.ToList()) obj[property.Key] = Replace(property.Value?.DeepClone(), interval);
                return obj;
            case JsonArray array:
                return new JsonArray(array.Select(item => Replace(item?.DeepClone(), interval)).ToArray());
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(Resolve((string)value!, interval));
            default:
                return node;
        }
    }

    private static string? Problem(Match match)
    {
        var name = match.Groups["name"].Value;
        if (!Known.Contains(name, StringComparer.Ordinal))
            return $"unknown placeholder '{match.Value}'; known: {string.Join(", ", Known.Select(k => "{" + k + "}"))} (optionally with a date format: {{{IntervalStart}:yyyy-MM-dd}})";
        if (!match.Groups["format"].Success) return null;
        var format = match.Groups["format"].Value;
        try
        {
            if (format.Length > 0)
            {
                _ = Sample.ToString(format, CultureInfo.InvariantCulture);
                return null;
            }
        }
        catch (FormatException)
        {
        }

        return $"'{match.Value}': '{format}' is not a .NET date format";
    }

    private static readonly DateTimeOffset Sample = new(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1));

    /// <summary>The string values of <paramref name="element"/> with their paths.</summary>
    private static IEnumerable<(string Path, string Text)> Strings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                yield return (path, element.GetString()!);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    foreach (var found in Strings(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}")) yield return found;
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    foreach (var found in Strings(item, $"{path}[{i++}]")) yield return found;
                break;
        }
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?<format>[^{}]*))?\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
