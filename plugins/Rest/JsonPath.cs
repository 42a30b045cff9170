using System.Globalization;
using System.Text.Json;

namespace Jobs.Plugins.Rest;

/// <summary>
/// A dotted path into a JSON answer (<c>data.items</c>, <c>meta.paging.next</c>, <c>results.0.id</c>): object members by name,
/// array items by index. An empty path is the value itself.
/// </summary>
internal static class JsonPath
{
    public static bool IsValid(string? path) => path is null || path.Length == 0 || path.Split('.').All(s => s.Length > 0);

    /// <summary>The value at <paramref name="path"/>, or false when a step of it is not there.</summary>
    public static bool TryGet(JsonElement value, string? path, out JsonElement found)
    {
        found = value;
        if (string.IsNullOrEmpty(path)) return true;
        foreach (var segment in path.Split('.'))
        {
            if (found.ValueKind == JsonValueKind.Object && found.TryGetProperty(segment, out var member)) found = member;
            else if (found.ValueKind == JsonValueKind.Array
                     && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < found.GetArrayLength())
                found = found[index];
            else return false;
        }

        return true;
    }
}
