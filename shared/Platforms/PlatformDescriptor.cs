namespace Jobs.Platforms;

/// <summary>An integration as the rest of the system sees it: name, texts and the schema of its settings.</summary>
/// <param name="TimeZone">IANA time zone that relative dates in the settings (<c>yesterday</c>) are read in.</param>
public record PlatformDescriptor(string Name, string DisplayName, string Description, IReadOnlyList<SettingDescriptor> Settings, string TimeZone = "UTC");
