namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Reads the loaded range of one preaggregate table of one kind of source (PostgreSQL now; another database is one
/// more implementation registered in <see cref="PreaggregatesServices"/>). It only reads: what counts as complete is
/// decided by <see cref="CompletenessRules"/>, the same for every kind.
/// </summary>
public interface IPreaggregateReader
{
    /// <summary>The <see cref="PreaggregateSourceOptions.Kind"/> this reader handles.</summary>
    string Kind { get; }

    /// <summary>The earliest and latest value of <paramref name="column"/> in <paramref name="table"/>; null when the table is empty.</summary>
    /// <exception cref="Exception">Any failure to reach or query the source: the caller reports the source as down.</exception>
    Task<LoadedRange?> ReadRangeAsync(PreaggregateSourceOptions source, string table, string column, CancellationToken cancellationToken);
}

/// <summary>The earliest and latest time found in a table's time column.</summary>
public sealed record LoadedRange(SourceTime Earliest, SourceTime Latest);

/// <summary>
/// A time as a source stores it: an instant (a column with a time zone) or a wall-clock time (a date, or a timestamp
/// without zone), which is read in the source's time zone.
/// </summary>
public readonly record struct SourceTime
{
    private SourceTime(DateTime value, bool isInstant) => (Value, IsInstant) = (value, isInstant);

    /// <summary>UTC when <see cref="IsInstant"/>, otherwise a wall-clock time (kind unspecified).</summary>
    public DateTime Value { get; }

    public bool IsInstant { get; }

    public static SourceTime Instant(DateTimeOffset instant) => new(instant.UtcDateTime, true);

    public static SourceTime Wall(DateTime wallClock) => new(DateTime.SpecifyKind(wallClock, DateTimeKind.Unspecified), false);

    public static SourceTime Wall(DateOnly day) => Wall(day.ToDateTime(TimeOnly.MinValue));
}
