namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// One data source: how far its batch (hourly) and daily tables are complete, in its own time zone's offset. A null
/// window means the source has no complete hour (day) there yet, or has no tables of that kind.
/// </summary>
/// <param name="Status"><see cref="PreaggregatesStatus"/>: ok, stale (cannot be read now, last known values kept) or down
/// (cannot be read and nothing is known).</param>
/// <param name="Error">Why the source could not be read (never its connection string or password).</param>
/// <param name="ReadAt">When the values shown were read from the source.</param>
/// <param name="CompleteUntil">Until when every table of the source (batch and daily) is loaded: the earlier of their ends.</param>
/// <param name="LagSeconds">Seconds from <see cref="CompleteUntil"/> to the time the document was computed.</param>
public sealed record PreaggregatesSource(
    string Name,
    string Kind,
    string TimeZone,
    string Status,
    string? Error,
    DateTimeOffset? ReadAt,
    PreaggregatesWindow? Batch,
    PreaggregatesWindow? Daily,
    DateTimeOffset? CompleteUntil,
    double? LagSeconds);
