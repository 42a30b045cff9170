using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Jobs.Platforms;

/// <summary>Builds the settings schema of an integration from its typed settings class (never by hand).</summary>
public static class SettingsSchema
{
    public static IReadOnlyList<SettingDescriptor> For<TSettings>() where TSettings : class, new() => For(typeof(TSettings), new TSettings());

    public static IReadOnlyList<SettingDescriptor> For(Type type, object defaults) => For(type, defaults, depth: 0);

    private static IReadOnlyList<SettingDescriptor> For(Type type, object defaults, int depth)
    {
        var result = new List<SettingDescriptor>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null) continue;
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                       ?? SettingsJson.Options.PropertyNamingPolicy!.ConvertName(property.Name);
            var required = property.GetCustomAttribute<RequiredAttribute>() is not null
                           || property.GetCustomAttribute<RequiredMemberAttribute>() is not null;
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var range = property.GetCustomAttribute<RangeAttribute>();
            IReadOnlyList<string>? allowed = propertyType.IsEnum
                ? Enum.GetNames(propertyType).Select(n => SettingsJson.Options.PropertyNamingPolicy!.ConvertName(n)).ToArray()
                : property.GetCustomAttribute<AllowedValuesAttribute>()?.Values.Select(v => $"{v}").ToArray();
            JsonElement? defaultValue = null;
            if (!required && property.GetValue(defaults) is { } value)
                defaultValue = JsonSerializer.SerializeToElement(value, property.PropertyType, SettingsJson.Options);

            var item = ItemType(propertyType);
            var shape = Typed(item ?? propertyType) && depth < MaxDepth
                ? For(item ?? propertyType, Activator.CreateInstance(item ?? propertyType)!, depth + 1)
                : null;
            result.Add(new SettingDescriptor(
                name,
                shape is not null && item is not null ? "object[]" : TypeName(propertyType),
                property.GetCustomAttribute<DescriptionAttribute>()?.Description,
                defaultValue,
                required,
                property.GetCustomAttribute<SecretAttribute>() is not null,
                allowed,
                range is null ? null : Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture),
                range is null ? null : Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture),
                property.GetCustomAttribute<RegularExpressionsAttribute>()?.Paths,
                shape));
        }

        return result;
    }

    /// <summary>Objects inside objects are described this deep at most.</summary>
    private const int MaxDepth = 4;

    /// <summary>Whether <paramref name="type"/> is a settings class of its own (public properties, a parameterless constructor).</summary>
    private static bool Typed(Type type) =>
        type.IsClass && type != typeof(string) && type != typeof(Uri) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
        && type.Namespace?.StartsWith("System", StringComparison.Ordinal) != true && type.GetConstructor(Type.EmptyTypes) is not null;

    /// <summary>The item type of a list of settings classes (<c>List&lt;RestField&gt;</c>), else null.</summary>
    private static Type? ItemType(Type type) =>
        type.IsGenericType && type.GetGenericArguments() is [var item] && typeof(IEnumerable<>).MakeGenericType(item).IsAssignableFrom(type) && Typed(item)
            ? item
            : null;

    private static string TypeName(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "integer",
        _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => "number",
        _ when type == typeof(bool) => "boolean",
        _ when type == typeof(string) || type.IsEnum || type == typeof(Uri) => "string",
        _ when type == typeof(DateOnly) => "date",
        _ when typeof(System.Collections.Generic.IEnumerable<string>).IsAssignableFrom(type) => "string[]",
        _ => "object",
    };
}
