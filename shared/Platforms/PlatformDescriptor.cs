namespace Jobs.Platforms;

/// <summary>An integration as the rest of the system sees it: name, texts and the schema of its settings.</summary>
/// <param name="TimeZone">IANA time zone that relative dates in the settings (<c>yesterday</c>) are read in.</param>
/// <param name="RequiredTasks">
/// The tasks whose failure fails the root job at once, with that task's error, whatever its failure policy (the entry run is
/// always one): the steps without which the job delivered nothing (movies <c>load</c>).
/// </param>
/// <param name="Tasks">
/// The tasks the platform's runs have (<c>entry</c> first): what a hook entry's <c>task</c> may name (<see cref="JobHooks"/>). Null when
/// the publisher does not say (a task hook is then refused: nothing could say it ever runs).
/// </param>
public record PlatformDescriptor(
    string Name, string DisplayName, string Description, IReadOnlyList<SettingDescriptor> Settings, string TimeZone = "UTC",
    IReadOnlyList<string>? RequiredTasks = null, IReadOnlyList<string>? Tasks = null)
{
    public bool IsRequired(string task) => RequiredTasks is { } tasks && tasks.Contains(task);
}
