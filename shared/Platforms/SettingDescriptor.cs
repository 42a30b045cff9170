using System.Text.Json;

namespace Jobs.Platforms;

/// <summary>One setting of an integration, generated from its typed settings record.</summary>
/// <param name="Type">integer, number, boolean, string, date, string[], object or object[] (a list of objects).</param>
/// <param name="RegularExpressions">Paths inside an object setting that hold regular expressions (see <see cref="RegularExpressionsAttribute"/>).</param>
/// <param name="Properties">The settings inside an object setting (or each item of an object[] one) when its shape is typed: checked at
/// submit like the top level (unknown names, types, allowed values, ranges, required), errors named by their path (<c>auth.type</c>).</param>
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
    IReadOnlyList<string>? RegularExpressions = null,
    IReadOnlyList<SettingDescriptor>? Properties = null);
