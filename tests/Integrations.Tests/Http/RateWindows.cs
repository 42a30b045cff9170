namespace Jobs.Integrations.Tests.Http;

/// <summary>Counts requests as the server saw them, over sliding windows.</summary>
internal static class RateWindows
{
    /// <summary>The most arrivals inside any window [t, t + <paramref name="window"/>) that starts at an arrival.</summary>
    public static int MostIn(IEnumerable<TimeSpan> arrivals, TimeSpan window)
    {
        var sorted = arrivals.Order().ToList();
        var most = 0;
        var end = 0;
        for (var start = 0; start < sorted.Count; start++)
        {
            while (end < sorted.Count && sorted[end] - sorted[start] < window) end++;
            most = Math.Max(most, end - start);
        }

        return most;
    }
}
