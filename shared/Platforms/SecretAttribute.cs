namespace Jobs.Platforms;

/// <summary>Marks a setting whose value must never be logged, audited or returned.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
