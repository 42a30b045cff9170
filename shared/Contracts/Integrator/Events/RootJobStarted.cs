using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>
/// Published by the Integrator's RootJob saga when it has begun a root job (<see cref="BeginRootJob"/>). <see cref="RetryOf"/>
/// names the job whose failed children this one re-runs (its entry run spawns them instead of the platform's entry).
/// <see cref="TraceParent"/> is the W3C <c>traceparent</c> of the span that began the root: the root job's trace (absent from an
/// older publisher).
/// </summary>
public record RootJobStarted(
    Guid RootJobId,
    string Platform,
    JsonElement Settings,
    string? Schedule,
    double MinSuccessPercent,
    DateTimeOffset StartedAt,
    Guid? RetryOf = null,
    string? TraceParent = null);
