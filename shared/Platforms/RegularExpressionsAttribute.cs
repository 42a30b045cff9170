namespace Jobs.Platforms;

/// <summary>
/// Marks an object setting whose members hold regular expressions, by path inside it: <c>name</c> a property, <c>*</c> every
/// property of an object, <c>name[]</c> every element of an array property (such as <c>fields.*.pattern</c> or
/// <c>rules[].pattern</c>). <see cref="SettingsValidator"/> refuses a pattern <see cref="SafeRegex"/> cannot run, naming its path.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RegularExpressionsAttribute(params string[] paths) : Attribute
{
    public IReadOnlyList<string> Paths { get; } = paths;
}
