namespace Jobs.Platforms;

/// <summary>An integration as the rest of the system sees it: name, texts and the schema of its settings.</summary>
/// <param name="TimeZone">IANA time zone that relative dates in the settings (<c>yesterday</c>) are read in.</param>
/// <param name="RequiredTasks">
/// The tasks whose failure fails the root job at once, with that task's error, whatever its failure policy (the entry run is
/// always one): the steps without which the job delivered nothing (movies <c>load</c>).
/// </param>
public record PlatformDescriptor(
    string Name, string DisplayName, string Description, IReadOnlyList<SettingDescriptor> Settings, string TimeZone = "UTC",
    IReadOnlyList<string>? RequiredTasks = null)
{
    public bool IsRequired(string task) => RequiredTasks is { } tasks && tasks.Contains(task);
}
