using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>
/// A validated root job was accepted; the RootJob saga is created from this event. <see cref="RetryOf"/> names
/// the job whose failed children this one re-runs (its entry run spawns them instead of the platform's entry).
/// </summary>
public record RootJobStarted(
    Guid RootJobId,
    string Platform,
    JsonElement Settings,
    string? Schedule,
    double MinSuccessPercent,
    DateTimeOffset StartedAt,
    Guid? RetryOf = null);
