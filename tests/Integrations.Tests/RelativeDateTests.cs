using System.Text.Json;
using Jobs.Platforms;

namespace Jobs.Integrations.Tests;

public sealed class RelativeDateTests
{
    private static readonly DateOnly Today = new(2026, 3, 1);

    [Theory]
    [InlineData("today", "2026-03-01")]
    [InlineData("yesterday", "2026-02-28")]
    [InlineData("4 days back", "2026-02-25")]
    [InlineData("4 days ago", "2026-02-25")]
    [InlineData("1 day ago", "2026-02-28")]
    [InlineData("  Yesterday ", "2026-02-28")]
    [InlineData("2025-12-31", "2025-12-31")]
    public void Relative_and_iso_dates_resolve_against_today(string text, string expected)
    {
        Assert.True(RelativeDate.TryResolve(text, Today, out var date));
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), date);
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("4 days")]
    [InlineData("-4 days back")]
    [InlineData("31.12.2025")]
    [InlineData("999999 days back")]
    [InlineData("")]
    public void Anything_else_is_not_a_date(string text) => Assert.False(RelativeDate.TryResolve(text, Today, out _));

    [Fact]
    public void Today_is_taken_in_the_platforms_time_zone()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 3, 1, 23, 30, 0, TimeSpan.Zero));

        Assert.Equal(new DateOnly(2026, 3, 1), RelativeDate.Today(clock, "UTC"));
        Assert.Equal(new DateOnly(2026, 3, 2), RelativeDate.Today(clock, "Europe/Berlin"));
        Assert.Equal(new DateOnly(2026, 3, 1), RelativeDate.Today(clock, "America/Los_Angeles"));
    }

    [Fact]
    public void A_date_setting_given_relatively_is_recorded_as_the_resolved_iso_date()
    {
        var schema = new[] { new SettingDescriptor("start_date", "date", null, null, true, false, null, null, null) };

        var result = SettingsValidator.Validate(schema, JsonSerializer.SerializeToElement(new { start_date = "4 days back" }), Today);

        Assert.True(result.IsValid);
        Assert.Equal("2026-02-25", result.Settings.GetProperty("start_date").GetString());
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
