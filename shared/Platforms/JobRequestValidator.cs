using System.Text.Json;
using System.Text.Json.Nodes;

namespace Jobs.Platforms;

public sealed record JobRequestValidation(PlatformDescriptor? Platform, JsonElement Settings, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;

    /// <summary>Every problem on one line, e.g. <c>settings.children: must be at least 0</c>.</summary>
    public string Describe() => string.Join("; ", Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
}

/// <summary>
/// Checks a start request (platform, settings with their hooks, minimum success percent) the same way for the API and the bus. It
/// runs once, where the request enters: <c>POST /jobs</c> in Reporting, the <c>jobs.start</c> endpoint in the Integrator.
/// </summary>
public sealed class JobRequestValidator(PlatformCatalog catalog, HookCatalog? hooks = null, TimeProvider? clock = null)
{
    /// <param name="asOf">The time relative dates are resolved against (a schedule's fire time); now when absent.</param>
    /// <param name="minSuccessPercent">The request's <c>minSuccessPercent</c>, if it has one: 0 to 100.</param>
    public async Task<JobRequestValidation> ValidateAsync(string? platform, JsonElement? settings, DateTimeOffset? asOf = null, double? minSuccessPercent = null)
    {
        var result = await ValidatePlatformAsync(platform, settings, asOf);
        if (minSuccessPercent is not (< 0 or > 100)) return result;
        var errors = new Dictionary<string, string[]>(result.Errors) { ["minSuccessPercent"] = ["must be between 0 and 100"] };
        return result with { Errors = errors };
    }

    private async Task<JobRequestValidation> ValidatePlatformAsync(string? platform, JsonElement? settings, DateTimeOffset? asOf)
    {
        if (string.IsNullOrWhiteSpace(platform))
            return Invalid(null, "platform", "is required");

        var descriptor = await catalog.FindAsync(platform);
        if (descriptor is null)
        {
            var known = (await catalog.ListAsync()).Select(p => p.Name);
            return Invalid(null, "platform", $"unknown platform '{platform}'; known platforms: {string.Join(", ", known)}");
        }

        var today = RelativeDate.Today(asOf ?? (clock ?? TimeProvider.System).GetUtcNow(), descriptor.TimeZone);
        var result = SettingsValidator.Validate(descriptor.Settings, settings, today);
        var errors = result.Errors.ToDictionary(e => e.Key == "settings" ? "settings" : $"settings.{e.Key}", e => e.Value);
        var validated = result.Settings;
        if (!errors.Keys.Any(k => k.StartsWith($"settings.{JobHooks.SettingName}", StringComparison.Ordinal)) &&
            validated.ValueKind == JsonValueKind.Object && validated.TryGetProperty(JobHooks.SettingName, out var named) && named.ValueKind == JsonValueKind.Object)
        {
            var (normalized, problems) = await JobHooks.ValidateAsync(named, hooks, today, descriptor.Tasks);
            foreach (var (key, messages) in problems) errors[$"settings.{key}"] = messages;
            var node = JsonNode.Parse(validated.GetRawText())!.AsObject();
            node[JobHooks.SettingName] = JsonNode.Parse(normalized.GetRawText());
            validated = JsonSerializer.SerializeToElement(node);
        }

        return new JobRequestValidation(descriptor, validated, errors);
    }

    private static JobRequestValidation Invalid(PlatformDescriptor? platform, string key, string error) =>
        new(platform, default, new Dictionary<string, string[]> { [key] = [error] });
}
