using Jobs.Contracts;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// What counts as complete, from the range a table holds and the time now. A batch row for hour H means H to H+1h is
/// loaded; a daily row for day D means the whole of D in the source's time zone is loaded (23 or 25 hours on DST
/// days). Neither counts before it is over: the hour or day that is still running is never complete. Windows are
/// given in the source's own offset.
/// </summary>
public static class CompletenessRules
{
    public static PreaggregatesWindow? Batch(LoadedRange? range, TimeZoneInfo zone, DateTimeOffset now)
    {
        if (range is null) return null;
        var from = HourStart(ToInstant(range.Earliest, zone), zone);
        var until = Min(HourStart(ToInstant(range.Latest, zone), zone).AddHours(1), HourStart(now, zone));
        return InZone(from, until, zone);
    }

    public static PreaggregatesWindow? Daily(LoadedRange? range, TimeZoneInfo zone, DateTimeOffset now)
    {
        if (range is null) return null;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var lastWholeDay = Min(LocalDay(range.Latest, zone), today.AddDays(-1));
        return InZone(DayStart(LocalDay(range.Earliest, zone), zone), DayStart(lastWholeDay.AddDays(1), zone), zone);
    }

    /// <summary>
    /// The range inside every window; null when there is none: no windows, a window missing (nothing complete), or
    /// windows that do not overlap.
    /// </summary>
    public static PreaggregatesWindow? Intersect(IReadOnlyCollection<PreaggregatesWindow?> windows)
    {
        if (windows.Count == 0 || windows.Any(w => w is null)) return null;
        var from = windows.MaxBy(w => w!.From)!.From;
        var until = windows.MinBy(w => w!.Until)!.Until;
        return from < until ? new PreaggregatesWindow(from, until) : null;
    }

    /// <summary>
    /// Until when every one of <paramref name="windows"/> is complete: the earliest end; null when there are none or one is missing.
    /// </summary>
    public static DateTimeOffset? CompleteUntil(IReadOnlyCollection<PreaggregatesWindow?> windows) =>
        windows.Count == 0 || windows.Any(w => w is null) ? null : windows.MinBy(w => w!.Until)!.Until;

    /// <summary>
    /// The instant a source time stands for. A wall-clock time is read in <paramref name="zone"/>: one that occurs twice
    /// (the hour clocks are turned back) is its first occurrence, so completeness is never overstated; one that never
    /// occurs (the hour skipped in spring) is the instant the clocks jumped.
    /// </summary>
    public static DateTimeOffset ToInstant(SourceTime time, TimeZoneInfo zone)
    {
        if (time.IsInstant) return new DateTimeOffset(time.Value, TimeSpan.Zero);
        var wall = time.Value;
        if (zone.IsAmbiguousTime(wall)) return new DateTimeOffset(wall, zone.GetAmbiguousTimeOffsets(wall).Max());
        var limit = wall.AddDays(2);
        while (zone.IsInvalidTime(wall) && wall < limit) wall = wall.AddMinutes(1);
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }

    /// <summary>The first instant of <paramref name="day"/> in <paramref name="zone"/>.</summary>
    public static DateTimeOffset DayStart(DateOnly day, TimeZoneInfo zone) => ToInstant(SourceTime.Wall(day), zone);

    private static DateOnly LocalDay(SourceTime time, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(time.IsInstant ? TimeZoneInfo.ConvertTime(new DateTimeOffset(time.Value, TimeSpan.Zero), zone).DateTime : time.Value);

    /// <summary>The start of the hour (of the clock in <paramref name="zone"/>) that contains <paramref name="instant"/>.</summary>
    private static DateTimeOffset HourStart(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return local.AddTicks(-(local.Ticks % TimeSpan.TicksPerHour));
    }

    private static PreaggregatesWindow? InZone(DateTimeOffset from, DateTimeOffset until, TimeZoneInfo zone) =>
        from < until ? new PreaggregatesWindow(TimeZoneInfo.ConvertTime(from, zone), TimeZoneInfo.ConvertTime(until, zone)) : null;

    private static T Min<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) <= 0 ? a : b;
}
