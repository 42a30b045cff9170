using System.Text.Json;

namespace Jobs.Platforms;

/// <summary>One setting of an integration, generated from its typed settings record.</summary>
/// <param name="Type">integer, number, boolean, string, date, string[] or object.</param>
/// <param name="RegularExpressions">Paths inside an object setting that hold regular expressions (see <see cref="RegularExpressionsAttribute"/>).</param>
public record SettingDescriptor(
    string Name,
    string Type,
    string? Description,
    JsonElement? Default,
    bool Required,
    bool Secret,
    IReadOnlyList<string>? AllowedValues,
    double? Minimum,
    double? Maximum,
    IReadOnlyList<string>? RegularExpressions = null);
