using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Contracts;

namespace Jobs.Scheduler.Schedules;

/// <summary>One entry of the <c>Schedules</c> section: its configuration key (<c>Schedules:&lt;index&gt;</c>) and the definition.</summary>
public sealed record DeclaredSchedule(string Key, ScheduleSpec Spec);

/// <summary>
/// The <c>Schedules</c> configuration section: schedules declared with the service, validated at start by the rules
/// every schedule meets (<see cref="ScheduleStore.Problems"/>), each problem named by its key (<c>Schedules:2:Cron</c>).
/// </summary>
/// <remarks>
/// Filled by <see cref="Fill"/> rather than by the binder: a schedule's <c>Settings</c> is free-form JSON whose shape
/// only the platform's schema knows, and configuration holds it as strings that are turned back into JSON here.
/// </remarks>
public sealed class ScheduleOptions
{
    public const string Section = "Schedules";

    /// <summary>Every entry of the section, in order (unset policies: fire once now, skip overlaps).</summary>
    public List<DeclaredSchedule> Schedules { get; } = [];

    /// <summary>Values that could not be read as what their key holds (a flag that is not true or false, a count that is not a number).</summary>
    public List<string> Unreadable { get; } = [];

    public IEnumerable<string> Problems() =>
        Unreadable.Concat(Schedules.SelectMany(s => ScheduleStore.Problems(s.Spec).Select(p => $"{s.Key}:{p.Field}: {p.Reason}")));

    /// <summary>Reads the <c>Schedules</c> section of <paramref name="configuration"/> into <paramref name="options"/>.</summary>
    public static void Fill(ScheduleOptions options, IConfiguration configuration)
    {
        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            var enabled = true;
            if (section[nameof(ScheduleSpec.Enabled)] is { Length: > 0 } enabledText && !bool.TryParse(enabledText, out enabled))
                options.Unreadable.Add($"{section.Path}:{nameof(ScheduleSpec.Enabled)}: '{enabledText}' is not true or false");
            int? maxCatchUp = null;
            if (section[nameof(ScheduleSpec.MaxCatchUp)] is { Length: > 0 } maxText)
            {
                if (int.TryParse(maxText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max)) maxCatchUp = max;
                else options.Unreadable.Add($"{section.Path}:{nameof(ScheduleSpec.MaxCatchUp)}: '{maxText}' is not a whole number");
            }

            options.Schedules.Add(new DeclaredSchedule(section.Path, new ScheduleSpec(
                section[nameof(ScheduleSpec.Name)] ?? "",
                section[nameof(ScheduleSpec.Cron)] ?? "",
                section[nameof(ScheduleSpec.TimeZone)] ?? "UTC",
                section[nameof(ScheduleSpec.Platform)] ?? "",
                SettingsOf(section),
                section[nameof(ScheduleSpec.Misfire)] ?? ScheduleMisfire.FireOnceNow,
                section[nameof(ScheduleSpec.Overlap)] ?? ScheduleOverlap.Skip,
                enabled,
                maxCatchUp)));
        }
    }

    /// <summary>
    /// The settings section converted to JSON: configuration holds only strings, so numbers and booleans are
    /// recognised by their text.
    /// </summary>
    public static JsonElement SettingsOf(IConfigurationSection schedule) =>
        JsonSerializer.SerializeToElement(ToNode(schedule.GetSection(nameof(ScheduleSpec.Settings))) ?? new JsonObject());

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
