namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Where every counted source is complete, in UTC. <see cref="Batch"/> and <see cref="Daily"/> are the ranges in which
/// every counted source with tables of that kind has them loaded (null: a source has nothing complete there, or the
/// sources' ranges do not overlap); <see cref="CompleteUntil"/> is the earlier of their ends: every table of every
/// counted source is loaded until then. <see cref="Reason"/> says why it is null (a source without complete data,
/// ranges that do not overlap, a down source with no last known values under the <c>block</c> policy).
/// </summary>
/// <param name="Sources">The sources counted (including stale ones, under <c>block</c>).</param>
/// <param name="Stale">Counted sources that could not be read now: their last known values were used.</param>
/// <param name="Excluded">Sources left out because they could not be read (policy <c>exclude</c>).</param>
public sealed record PreaggregatesSynchronized(
    PreaggregatesWindow? Batch,
    PreaggregatesWindow? Daily,
    DateTimeOffset? CompleteUntil,
    double? LagSeconds,
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> Stale,
    IReadOnlyList<string> Excluded,
    string? Reason);
