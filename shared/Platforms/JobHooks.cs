using System.Text.Json;
using System.Text.Json.Nodes;

namespace Jobs.Platforms;

/// <summary>
/// The setting <c>hooks</c> every platform's settings have: <c>{"pre": [{"name": "require-fresh", "settings": {...}}], "post": [...]}</c>,
/// the functions run before the job's entry run and once it has its final counts. Each name must be a hook the Integrations hosts
/// define (<see cref="HookCatalog"/>, <c>GET /hooks</c>) for that phase, its settings must fit the hook's schema: checked at submit
/// (<see cref="JobRequestValidator"/>), so no job starts with an undefined function.
/// <para>
/// An entry with a <c>task</c> (one of the platform's <see cref="PlatformDescriptor.Tasks"/>) is a task hook: instead of once for the job it
/// runs around every run of that task, in the process that runs it (pre before the run, post after it, with the task's outcome), as part of
/// the task: one that fails fails that child (counted as failed, kept for <c>retry-failed</c>), one that skips (pre) completes it unrun.
/// </para>
/// </summary>
public static class JobHooks
{
    public const string SettingName = "hooks";
    public const string Pre = "pre";
    public const string Post = "post";
    public static readonly IReadOnlyList<string> Phases = [Pre, Post];

    /// <summary>Most hooks one phase of a job may list.</summary>
    public const int MaxPerPhase = 10;

    /// <summary>The entry field that makes a hook a task hook.</summary>
    public const string TaskName = "task";

    private static readonly SettingDescriptor[] Entry =
    [
        new("name", "string", "The hook's name (GET /hooks).", null, true, false, null, null, null),
        new("settings", "object", "The hook's settings, checked against its schema (GET /hooks).", null, false, false, null, null, null),
        new(TaskName, "string",
            "A task of the platform (GET /platforms 'tasks'): the hook runs around each run of that task instead of once for the job; " +
            "failing, it fails that child.", null, false, false, null, null, null),
    ];

    /// <summary>The schema entry of the setting, added to every platform's settings.</summary>
    public static SettingDescriptor Setting { get; } = new(
        SettingName, "object",
        "Functions run with the job: 'pre' before its entry run (one failing fails the job before any child runs; 'require-fresh' may skip it), " +
        "'post' once it has its final counts (one failing marks the job with its error, its status and counts stay). Each entry is " +
        "{\"name\": <a hook of GET /hooks>, \"settings\": {...}}; an unknown name or settings outside the hook's schema are refused.",
        null, false, false, null, null, null,
        Properties:
        [
            new(Pre, "object[]", $"Hooks run in order before the entry run (at most {MaxPerPhase}).", null, false, false, null, null, null, Properties: Entry),
            new(Post, "object[]", $"Hooks run in order after the job's end (at most {MaxPerPhase}).", null, false, false, null, null, null, Properties: Entry),
        ]);

    /// <summary>The job's own hooks of <paramref name="phase"/> in validated settings (not the task hooks), in order; none when it names none.</summary>
    public static IReadOnlyList<(string Name, JsonElement Settings)> Of(JsonElement settings, string phase) =>
        Entries(settings, phase).Where(e => e.Task is null).Select(e => (e.Name, e.Settings)).ToList();

    /// <summary>The task hooks in validated settings, pre then post, each phase in its order; none when they name none.</summary>
    public static IReadOnlyList<TaskHook> TasksOf(JsonElement settings) =>
        Phases.SelectMany(phase => Entries(settings, phase).Where(e => e.Task is not null).Select(e => new TaskHook(phase, e.Index, e.Task!, e.Name, e.Settings)))
            .ToList();

    private static IEnumerable<(int Index, string Name, JsonElement Settings, string? Task)> Entries(JsonElement settings, string phase)
    {
        if (settings.ValueKind != JsonValueKind.Object || !settings.TryGetProperty(SettingName, out var hooks) || hooks.ValueKind != JsonValueKind.Object ||
            !hooks.TryGetProperty(phase, out var list) || list.ValueKind != JsonValueKind.Array)
            yield break;
        var index = 0;
        foreach (var e in list.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                yield return (index, n.GetString()!,
                    e.TryGetProperty("settings", out var s) && s.ValueKind == JsonValueKind.Object ? s.Clone() : JsonSerializer.SerializeToElement(new { }),
                    e.TryGetProperty(TaskName, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
            }

            index++;
        }
    }

    /// <summary>
    /// Checks the <c>hooks</c> of settings whose shape the platform's schema already accepted: every name a hook of
    /// <paramref name="catalog"/> allowed in its phase, every hook's settings valid for its schema. Returns the hooks with each hook's
    /// defaults filled in, and every problem keyed by its path (<c>hooks.post[0].settings.url</c>). A task hook's <c>task</c> must be one of
    /// <paramref name="tasks"/> (the platform's).
    /// </summary>
    public static async Task<(JsonElement Hooks, Dictionary<string, string[]> Errors)> ValidateAsync(JsonElement hooks, HookCatalog? catalog, DateOnly today,
        IReadOnlyList<string>? tasks = null)
    {
        var errors = new Dictionary<string, string[]>();
        var normalized = JsonNode.Parse(hooks.GetRawText())!.AsObject();
        var known = catalog is null ? [] : await catalog.ListAsync();
        foreach (var phase in Phases)
        {
            if (!hooks.TryGetProperty(phase, out var list) || list.ValueKind != JsonValueKind.Array) continue;
            if (list.GetArrayLength() > MaxPerPhase) errors[$"{SettingName}.{phase}"] = [$"lists {list.GetArrayLength()} hooks; at most {MaxPerPhase}"];
            var i = 0;
            foreach (var entry in list.EnumerateArray())
            {
                var at = $"{SettingName}.{phase}[{i}]";
                var name = entry.GetProperty("name").GetString()!;
                if (entry.TryGetProperty(TaskName, out var task) && task.ValueKind == JsonValueKind.String && tasks?.Contains(task.GetString()!) != true)
                {
                    errors[$"{at}.{TaskName}"] = [tasks is null or { Count: 0 }
                        ? $"unknown task '{task.GetString()}': the platform does not publish its tasks"
                        : $"unknown task '{task.GetString()}'; the platform's tasks: {string.Join(", ", tasks)}"];
                }

                var hook = known.FirstOrDefault(h => h.Name == name);
                if (hook is null)
                {
                    errors[$"{at}.name"] = [known.Count == 0
                        ? $"unknown hook '{name}': no Integrations process has published any hooks"
                        : $"unknown hook '{name}'; known hooks: {string.Join(", ", known.Select(h => h.Name))}"];
                }
                else if (!hook.Phases.Contains(phase))
                {
                    errors[$"{at}.name"] = [$"hook '{name}' runs only as a {string.Join(" or ", hook.Phases)} hook, not {phase}"];
                }
                else
                {
                    var given = entry.TryGetProperty("settings", out var s) && s.ValueKind != JsonValueKind.Null ? s : (JsonElement?)null;
                    var result = SettingsValidator.Validate(hook.Settings, given, today);
                    foreach (var (key, messages) in result.Errors)
                        errors[key == "settings" ? $"{at}.settings" : $"{at}.settings.{key}"] = messages;
                    if (result.IsValid) normalized[phase]![i]!["settings"] = JsonNode.Parse(result.Settings.GetRawText());
                }

                i++;
            }
        }

        return (JsonSerializer.SerializeToElement(normalized), errors);
    }
}

/// <summary>
/// A hook run around every run of one task of a job (<see cref="JobHooks.TasksOf"/>): its phase, its place in that phase's list of the job's
/// settings (<c>hooks.pre[Index]</c>), the task, the hook and its validated settings.
/// </summary>
public sealed record TaskHook(string Phase, int Index, string Task, string Name, JsonElement Settings);
