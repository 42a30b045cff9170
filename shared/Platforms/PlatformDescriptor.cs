namespace Jobs.Platforms;

/// <summary>An integration as the rest of the system sees it: name, texts and the schema of its settings.</summary>
public record PlatformDescriptor(string Name, string DisplayName, string Description, IReadOnlyList<SettingDescriptor> Settings);
