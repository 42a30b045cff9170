using System.Text.Json;
using System.Text.Json.Serialization;

namespace Jobs.Platforms;

public static class SettingsJson
{
    /// <summary>Settings are snake_case on the wire (<c>work_ms</c>, <c>fail_ratio</c>).</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
