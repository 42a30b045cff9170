using Quartz;

namespace Jobs.Scheduler.Schedules;

/// <summary>The fire times a <c>catch_up</c> schedule owes a run.</summary>
public static class CatchUp
{
    /// <summary>Fire times further back than this are not looked for (a per-second schedule paused for a month).</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(31);

    /// <summary>
    /// The fire times of <paramref name="cron"/> in <paramref name="zone"/> after <paramref name="since"/> and up to
    /// <paramref name="upTo"/>, oldest first: the latest <paramref name="keep"/> of them, and how many older ones were left out.
    /// </summary>
    public static (IReadOnlyList<DateTimeOffset> Slots, int Skipped) Slots(string cron, TimeZoneInfo zone, DateTimeOffset since, DateTimeOffset upTo, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var expression = new CronExpression(cron, zone);
        var from = since < upTo - Horizon ? upTo - Horizon : since;
        var slots = new Queue<DateTimeOffset>(keep + 1);
        var skipped = 0;
        for (var next = expression.GetNextValidTimeAfter(from); next is { } at && at <= upTo; next = expression.GetNextValidTimeAfter(at))
        {
            slots.Enqueue(at);
            if (slots.Count > keep)
            {
                slots.Dequeue();
                skipped++;
            }
        }

        return (slots.ToList(), skipped);
    }
}
