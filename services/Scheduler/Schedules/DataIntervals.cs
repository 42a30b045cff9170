using Jobs.Platforms;
using Quartz;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// The data intervals of a schedule's cron expression: each fire time closes the interval that began at the fire time before it.
/// The interval of a fire is always taken from the cron expression, not from the fire that last ran, so the first fire, a fire
/// after a pause and a backfilled interval cover one slot each, like every other fire. Values carry the offset of the schedule's
/// time zone at that instant (DST changes give 23- or 25-hour days).
/// </summary>
public static class DataIntervals
{
    /// <summary>How far back the fire time before another is looked for (a yearly schedule still finds the year before).</summary>
    private static readonly TimeSpan Horizon = TimeSpan.FromDays(366 * 10);

    /// <summary>
    /// The interval a fire at <paramref name="firedAt"/> covers: it ends at the latest fire time of the cron expression at or before
    /// <paramref name="firedAt"/> (the fire time itself for a scheduled fire; the last slot that has ended for a fire by hand or a
    /// misfire's fire "now") and starts at the fire time before that.
    /// </summary>
    public static DataInterval Of(string cron, TimeZoneInfo zone, DateTimeOffset firedAt)
    {
        var expression = new CronExpression(cron, zone);
        var end = Before(expression, firedAt.AddTicks(1)) ?? firedAt;
        var start = Before(expression, end) ?? end;
        return In(zone, start, end);
    }

    /// <summary>
    /// The intervals of the cron expression that lie within [<paramref name="from"/>, <paramref name="to"/>), oldest first: each
    /// starts at a fire time at or after <paramref name="from"/> and ends at the next one, at or before <paramref name="to"/>. At most
    /// <paramref name="limit"/> + 1 are returned, so a caller can tell that there are more than it accepts.
    /// </summary>
    public static IReadOnlyList<DataInterval> Within(string cron, TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        var expression = new CronExpression(cron, zone);
        var intervals = new List<DataInterval>();
        var start = expression.GetNextValidTimeAfter(from.AddTicks(-1));
        while (start is { } s && intervals.Count <= limit && expression.GetNextValidTimeAfter(s) is { } end && end <= to)
        {
            intervals.Add(In(zone, s, end));
            start = end;
        }

        return intervals;
    }

    private static DataInterval In(TimeZoneInfo zone, DateTimeOffset start, DateTimeOffset end) =>
        new(TimeZoneInfo.ConvertTime(start, zone), TimeZoneInfo.ConvertTime(end, zone));

    /// <summary>
    /// The latest fire time strictly before <paramref name="time"/>: Quartz looks only forward, so windows ending at
    /// <paramref name="time"/> are searched, each twice as long as the last, until one holds a fire time.
    /// </summary>
    private static DateTimeOffset? Before(CronExpression expression, DateTimeOffset time)
    {
        for (var window = TimeSpan.FromSeconds(1); window <= Horizon * 2; window *= 2)
        {
            DateTimeOffset? latest = null;
            for (var next = expression.GetNextValidTimeAfter(time - window); next is { } at && at < time; next = expression.GetNextValidTimeAfter(at))
                latest = at;
            if (latest is not null) return latest;
        }

        return null;
    }
}
