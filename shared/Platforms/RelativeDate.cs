using System.Globalization;
using System.Text.RegularExpressions;

namespace Jobs.Platforms;

/// <summary>
/// Dates in settings as the original job executor accepted them: <c>today</c>, <c>yesterday</c>,
/// <c>4 days back</c> / <c>4 days ago</c>, or an ISO date (<c>2026-11-22</c>).
/// </summary>
public static partial class RelativeDate
{
    public static bool TryResolve(string? text, DateOnly today, out DateOnly date)
    {
        date = default;
        var value = text?.Trim().ToLowerInvariant();
        switch (value)
        {
            case null or "":
                return false;
            case "today":
                date = today;
                return true;
            case "yesterday":
                date = today.AddDays(-1);
                return true;
        }

        var match = DaysBack().Match(value);
        if (match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days <= 36_500)
        {
            date = today.AddDays(-days);
            return true;
        }

        return DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    /// <summary>Today in the IANA time zone <paramref name="timeZone"/> (UTC when unknown).</summary>
    public static DateOnly Today(TimeProvider clock, string? timeZone) => Today(clock.GetUtcNow(), timeZone);

    /// <summary>The day <paramref name="now"/> falls on in the IANA time zone <paramref name="timeZone"/> (UTC when unknown).</summary>
    public static DateOnly Today(DateTimeOffset now, string? timeZone)
    {
        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrEmpty(timeZone))
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
            }
            catch (TimeZoneNotFoundException)
            {
            }
        }

        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
    }

    [GeneratedRegex(@"^(\d{1,5})\s+days?\s+(back|ago)$", RegexOptions.CultureInvariant)]
    private static partial Regex DaysBack();
}
