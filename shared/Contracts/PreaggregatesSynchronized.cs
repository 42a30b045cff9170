namespace Jobs.Contracts;

/// <summary>
/// The time range in which every counted source is complete (UTC). <see cref="CompleteUntil"/> is null when no such
/// range exists; <see cref="Reason"/> then says why (a source without complete data, sources that do not overlap, a
/// down source with no last known value under the <c>block</c> policy).
/// </summary>
/// <param name="Sources">The sources counted (including stale ones, under <c>block</c>).</param>
/// <param name="Stale">Counted sources that could not be read now: their last known values were used.</param>
/// <param name="Excluded">Sources left out because they could not be read (policy <c>exclude</c>).</param>
public sealed record PreaggregatesSynchronized(
    DateTimeOffset? CompleteFrom,
    DateTimeOffset? CompleteUntil,
    DateTimeOffset? BatchCompleteUntil,
    DateTimeOffset? DailyCompleteUntil,
    double? LagSeconds,
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> Stale,
    IReadOnlyList<string> Excluded,
    string? Reason);
