namespace Jobs.Integrations.Tests.Http;

/// <summary>
/// Checks requests as the server saw them against a rate limit: in any window of length W, a limit of <c>rate</c> per
/// second with <c>burst</c> lets through at most <c>rate * W + burst</c> requests. The windows counted are
/// <c>jitter</c> shorter: the shop shares two busy cores with everything else, and while its process stalls, requests
/// that left on time wait and are then seen together. That absorbs stalls up to <c>jitter</c>; a limit kept per process
/// (twice the rate with two processes) still overshoots by far.
/// </summary>
internal static class RateWindows
{
    /// <summary>Asserts that no window holds more than the limit allows; the failure lists every arrival.</summary>
    public static void AssertWithin(IReadOnlyList<(TimeSpan At, string Who)> arrivals, double rate, int burst, TimeSpan window, TimeSpan jitter)
    {
        var bound = rate * window.TotalSeconds + burst;
        var most = MostIn(arrivals.Select(a => a.At), window - jitter);
        Assert.True(most <= bound,
            $"{most} requests within {(window - jitter).TotalMilliseconds} ms at a limit of {rate}/s, burst {burst} (at most {bound}); arrivals (ms): " +
            string.Join(", ", arrivals.Select(a => $"{a.At.TotalMilliseconds:F0} {a.Who}")));
    }

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
