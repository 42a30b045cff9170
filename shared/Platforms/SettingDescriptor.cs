using System.Text.Json;

namespace Jobs.Platforms;

/// <summary>One setting of an integration, generated from its typed settings record.</summary>
/// <param name="Type">integer, number, boolean, string, date, string[] or object.</param>
public record SettingDescriptor(
    string Name,
    string Type,
    string? Description,
    JsonElement? Default,
    bool Required,
    bool Secret,
    IReadOnlyList<string>? AllowedValues,
    double? Minimum,
    double? Maximum);
