using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Jobs.Platforms;

public sealed record SettingsValidation(JsonElement Settings, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Checks settings against a platform's schema and returns them with every default filled in, or every
/// problem found (not just the first), keyed by setting name.
/// </summary>
public static class SettingsValidator
{
    /// <param name="today">What relative dates (<c>yesterday</c>, <c>4 days back</c>) resolve against: today in the
    /// platform's time zone at submit time. Date settings come back as ISO dates.</param>
    public static SettingsValidation Validate(IReadOnlyList<SettingDescriptor> schema, JsonElement? settings, DateOnly? today = null)
    {
        var day = today ?? DateOnly.FromDateTime(DateTime.UtcNow);
        var errors = new Dictionary<string, List<string>>();
        void Error(string key, string message)
        {
            if (!errors.TryGetValue(key, out var list)) errors[key] = list = [];
            list.Add(message);
        }

        var given = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (settings is { ValueKind: JsonValueKind.Object } obj)
        {
            foreach (var property in obj.EnumerateObject()) given[property.Name] = property.Value;
        }
        else if (settings is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } other)
        {
            Error("settings", $"must be a JSON object, not {other.ValueKind.ToString().ToLowerInvariant()}");
        }

        var normalized = new JsonObject();
        var known = schema.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in given.Keys.Where(k => !known.Contains(k)))
            Error(name, $"unknown setting; known settings: {string.Join(", ", known.Order())}");

        foreach (var setting in schema)
        {
            if (!given.TryGetValue(setting.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (setting.Required) Error(setting.Name, "is required");
                else if (setting.Default is { } d) normalized[setting.Name] = JsonNode.Parse(d.GetRawText());
                continue;
            }

            var problem = Check(setting, value);
            if (problem is not null)
            {
                Error(setting.Name, problem);
                continue;
            }

            var before = errors.Count;
            CheckShape(setting, value, setting.Name, Error);
            if (errors.Count > before) continue;

            // Patterns inside an object setting: each one the linear engine cannot run is named by its path.
            foreach (var (path, pattern) in (setting.RegularExpressions ?? []).SelectMany(p => Find(value, setting.Name, p.Split('.'))))
            {
                if (SafeRegex.Problem(pattern) is { } unusable) Error(path, unusable);
            }

            if (setting.Type == "date" && RelativeDate.TryResolve(value.GetString(), day, out var resolved))
                normalized[setting.Name] = resolved.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            else normalized[setting.Name] = JsonNode.Parse(value.GetRawText());
        }

        var result = JsonSerializer.SerializeToElement(normalized);
        return new SettingsValidation(result, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    /// <summary>The settings inside a typed object (or each object of a list), checked like the top level and named by their path.</summary>
    private static void CheckShape(SettingDescriptor setting, JsonElement value, string path, Action<string, string> error)
    {
        if (setting.Properties is not { } properties) return;
        if (setting.Type == "object[]")
        {
            var i = 0;
            foreach (var item in value.EnumerateArray()) CheckObject(properties, item, $"{path}[{i++}]", error);
        }
        else
        {
            CheckObject(properties, value, path, error);
        }
    }

    private static void CheckObject(IReadOnlyList<SettingDescriptor> properties, JsonElement value, string path, Action<string, string> error)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            error(path, "must be an object");
            return;
        }

        var known = properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var member in value.EnumerateObject().Where(m => !known.Contains(m.Name)))
            error($"{path}.{member.Name}", $"unknown setting; known settings: {string.Join(", ", known.Order())}");
        foreach (var property in properties)
        {
            var at = $"{path}.{property.Name}";
            if (!value.TryGetProperty(property.Name, out var member) || member.ValueKind == JsonValueKind.Null)
            {
                if (property.Required) error(at, "is required");
                continue;
            }

            if (Check(property, member) is { } problem) error(at, problem);
            else CheckShape(property, member, at, error);
        }
    }

    private static string? Check(SettingDescriptor setting, JsonElement value)
    {
        switch (setting.Type)
        {
            case "integer":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var whole)) return "must be a whole number";
                return CheckRange(setting, whole);
            case "number":
                if (value.ValueKind != JsonValueKind.Number) return "must be a number";
                return CheckRange(setting, value.GetDouble());
            case "boolean":
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";
            case "date":
                return value.ValueKind == JsonValueKind.String && RelativeDate.TryResolve(value.GetString(), DateOnly.MinValue.AddYears(200), out _)
                    ? null
                    : "must be a date: yyyy-MM-dd, today, yesterday, or 'N days back' / 'N days ago'";
            case "string":
                if (value.ValueKind != JsonValueKind.String) return "must be a string";
                if (setting.AllowedValues is { Count: > 0 } allowed && !allowed.Contains(value.GetString()))
                    return $"must be one of: {string.Join(", ", allowed)}";
                return null;
            case "string[]":
                return value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String)
                    ? null
                    : "must be an array of strings";
            case "object[]":
                return value.ValueKind == JsonValueKind.Array ? null : "must be an array of objects";
            case "object" when setting.Properties is not null:
                return value.ValueKind == JsonValueKind.Object ? null : "must be an object";
            default:
                return null;
        }
    }

    /// <summary>The strings at <paramref name="path"/> inside <paramref name="value"/> (see <see cref="RegularExpressionsAttribute"/>), with their full paths.</summary>
    private static IEnumerable<(string Path, string Value)> Find(JsonElement value, string at, ReadOnlyMemory<string> path)
    {
        if (path.IsEmpty)
        {
            if (value.ValueKind == JsonValueKind.String) yield return (at, value.GetString()!);
            yield break;
        }

        var segment = path.Span[0];
        var rest = path[1..];
        if (value.ValueKind != JsonValueKind.Object) yield break;
        if (segment == "*")
        {
            foreach (var property in value.EnumerateObject())
                foreach (var found in Find(property.Value, $"{at}.{property.Name}", rest)) yield return found;
        }
        else if (segment.EndsWith("[]", StringComparison.Ordinal))
        {
            var name = segment[..^2];
            if (!value.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array) yield break;
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                foreach (var found in Find(item, $"{at}.{name}[{i}]", rest)) yield return found;
                i++;
            }
        }
        else if (value.TryGetProperty(segment, out var member))
        {
            foreach (var found in Find(member, $"{at}.{segment}", rest)) yield return found;
        }
    }

    private static string? CheckRange(SettingDescriptor setting, double value)
    {
        if (setting.Minimum is { } min && value < min) return $"must be at least {min.ToString(CultureInfo.InvariantCulture)}";
        if (setting.Maximum is { } max && value > max) return $"must be at most {max.ToString(CultureInfo.InvariantCulture)}";
        return null;
    }
}
