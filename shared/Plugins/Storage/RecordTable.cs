using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Jobs.Plugins.Storage;

/// <summary>
/// The types a landed column may have, the same for every target: <c>string</c>, <c>integer</c> (64 bits), <c>number</c>
/// (double), <c>boolean</c>, <c>date</c>, <c>timestamp</c> (an instant, kept in UTC) and <c>json</c> (any JSON value, as text).
/// A value handed to a sink has the CLR type of its column: <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="DateOnly"/>, <see cref="DateTimeOffset"/>, or for <c>json</c> the JSON text; or null.
/// </summary>
public static class ColumnTypes
{
    public const string String = "string";
    public const string Integer = "integer";
    public const string Number = "number";
    public const string Boolean = "boolean";
    public const string Date = "date";
    public const string Timestamp = "timestamp";
    public const string Json = "json";

    public static readonly string[] All = [String, Integer, Number, Boolean, Date, Timestamp, Json];

    /// <summary>
    /// <paramref name="value"/> as a value of a column of <paramref name="type"/> (null for JSON null or a missing value); a value
    /// that does not fit throws <see cref="FormatException"/> saying what it is and what was expected.
    /// </summary>
    public static object? FromJson(JsonElement value, string type)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        switch (type)
        {
            case Json:
                return value.GetRawText();
            case String:
                return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            case Integer:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var integer)) return integer;
                if (value.ValueKind == JsonValueKind.String
                    && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out integer)) return integer;
                break;
            case Number:
                if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
                if (value.ValueKind == JsonValueKind.String
                    && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    && double.IsFinite(number)) return number;
                break;
            case Boolean:
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
                if (value.ValueKind == JsonValueKind.String && bool.TryParse(value.GetString(), out var boolean)) return boolean;
                break;
            case Date:
                if (value.ValueKind == JsonValueKind.String)
                {
                    var text = value.GetString()!;
                    if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date;
                    if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
                        return DateOnly.FromDateTime(instant.UtcDateTime);
                }

                break;
            case Timestamp:
                if (value.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
                    return timestamp.ToUniversalTime();
                // Unix seconds, as many APIs send them.
                if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && seconds is > -62135596800 and < 253402300800)
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
                break;
            default:
                throw new FormatException($"unknown column type '{type}'");
        }

        var shown = value.GetRawText();
        throw new FormatException($"{(shown.Length > 60 ? shown[..60] + "…" : shown)} is not a{(type is Integer ? "n" : "")} {type}");
    }

    /// <summary>A value of a column as text, the same in every file and in the keys of upserts: invariant, ISO 8601, UTC.</summary>
    public static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"a {value.GetType().Name} is not a column value", nameof(value)),
    };
}

/// <summary>A column of a landed table: its name (a plain identifier) and one of <see cref="ColumnTypes.All"/>.</summary>
public sealed record Column(string Name, string Type);

/// <summary>
/// The shape of the rows a job lands: the table (or file) name, the columns in order, and the primary key every write upserts on.
/// </summary>
public sealed partial record RecordTable(string Name, IReadOnlyList<Column> Columns, IReadOnlyList<string> PrimaryKey)
{
    /// <summary>Every problem of this shape, empty when a sink can create or check it.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!IsIdentifier(Name)) problems.Add($"table '{Name}' must be a plain name: a letter or _, then letters, digits or _ (at most 63)");
        if (Columns.Count == 0) problems.Add("a table needs at least one column");
        foreach (var column in Columns)
        {
            if (!IsIdentifier(column.Name)) problems.Add($"column '{column.Name}' must be a plain name: a letter or _, then letters, digits or _ (at most 63)");
            if (!ColumnTypes.All.Contains(column.Type)) problems.Add($"column '{column.Name}': type '{column.Type}' must be one of: {string.Join(", ", ColumnTypes.All)}");
        }

        foreach (var duplicate in Columns.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"column '{duplicate.Key}' is named twice");
        if (PrimaryKey.Count == 0) problems.Add("a table needs a primary key: the column(s) that identify a row");
        foreach (var key in PrimaryKey.Where(k => !Columns.Any(c => c.Name == k))) problems.Add($"primary key '{key}' is not one of the columns");
        foreach (var key in Columns.Where(c => PrimaryKey.Contains(c.Name) && c.Type == ColumnTypes.Json))
            problems.Add($"primary key '{key.Name}' is a json column; a key must be a string, integer, number, boolean, date or timestamp");
        return problems;
    }

    /// <summary>The positions of the key's columns in <see cref="Columns"/>.</summary>
    public int[] KeyIndexes() => [.. PrimaryKey.Select(k => Columns.Select((c, i) => (c, i)).First(x => x.c.Name == k).i)];

    /// <summary>A row's key as one string (the key columns' <see cref="ColumnTypes.Text"/>, separated by a unit separator).</summary>
    public string KeyOf(IReadOnlyList<object?> row, int[] keyIndexes) =>
        string.Join('\u001f', keyIndexes.Select(i => ColumnTypes.Text(row[i]) ?? throw new FormatException(
            $"primary key '{Columns[i].Name}' is null in a row")));

    /// <summary>The rows with each key once: the last row of a key wins, in the order keys first appeared.</summary>
    public IReadOnlyList<IReadOnlyList<object?>> Distinct(IReadOnlyList<IReadOnlyList<object?>> rows)
    {
        var keys = KeyIndexes();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<IReadOnlyList<object?>>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Count != Columns.Count) throw new ArgumentException($"a row of {Columns.Count} columns has {row.Count} values", nameof(rows));
            var key = KeyOf(row, keys);
            if (byKey.TryGetValue(key, out var at)) result[at] = row;
            else
            {
                byKey[key] = result.Count;
                result.Add(row);
            }
        }

        return result;
    }

    public static bool IsIdentifier(string? name) => name is not null && Identifier().IsMatch(name);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
