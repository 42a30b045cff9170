using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Jobs.Scheduler.Schedules;

/// <summary>One entry of the <c>Schedules</c> configuration section.</summary>
public sealed class ScheduleOptions
{
    public string Name { get; set; } = "";

    /// <summary>Quartz cron expression (seconds first), e.g. <c>0 0 * * * ?</c> for hourly.</summary>
    public string Cron { get; set; } = "";

    /// <summary>IANA time zone id the cron expression is read in.</summary>
    public string TimeZone { get; set; } = "UTC";

    public string Platform { get; set; } = "";

    public bool Enabled { get; set; } = true;

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
