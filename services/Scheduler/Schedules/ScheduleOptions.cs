using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Contracts;

namespace Jobs.Scheduler.Schedules;

/// <summary>The <c>Schedules</c> configuration section: schedules declared with the service.</summary>
public static class ScheduleOptions
{
    /// <summary>Every entry of the section as a <see cref="ScheduleSpec"/> (unset policies: fire once now, skip overlaps).</summary>
    public static IReadOnlyList<ScheduleSpec> Read(IConfiguration configuration) =>
        configuration.GetSection("Schedules").GetChildren().Select(section => new ScheduleSpec(
            section["Name"] ?? "",
            section["Cron"] ?? "",
            section["TimeZone"] ?? "UTC",
            section["Platform"] ?? "",
            SettingsOf(section),
            section["Misfire"] ?? ScheduleMisfire.FireOnceNow,
            section["Overlap"] ?? ScheduleOverlap.Skip,
            !bool.TryParse(section["Enabled"], out var enabled) || enabled,
            int.TryParse(section["MaxCatchUp"], out var maxCatchUp) ? maxCatchUp : null)).ToList();

    /// <summary>
    /// The settings section converted to JSON: configuration holds only strings, so numbers and booleans are
    /// recognised by their text.
    /// </summary>
    public static JsonElement SettingsOf(IConfigurationSection schedule) =>
        JsonSerializer.SerializeToElement(ToNode(schedule.GetSection("Settings")) ?? new JsonObject());

    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            var text = section.Value;
            if (text is null) return null;
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole)) return JsonValue.Create(whole);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return JsonValue.Create(number);
            if (bool.TryParse(text, out var flag)) return JsonValue.Create(flag);
            return JsonValue.Create(text);
        }

        if (children.All(c => int.TryParse(c.Key, out _)))
            return new JsonArray(children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(ToNode).ToArray());

        var obj = new JsonObject();
        foreach (var child in children) obj[child.Key] = ToNode(child);
        return obj;
    }
}
