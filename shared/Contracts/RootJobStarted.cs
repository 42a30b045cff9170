using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>A validated root job was accepted; the RootJob saga is created from this event.</summary>
public record RootJobStarted(
    Guid RootJobId,
    string Platform,
    JsonElement Settings,
    string? Schedule,
    double MinSuccessPercent,
    DateTimeOffset StartedAt);
