using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.Scheduler.Schedules;

namespace Jobs.Scheduler.Tests;

public sealed class DataIntervalTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static string Iso(DateTimeOffset value) => value.ToString(IntervalPlaceholders.DefaultFormat, CultureInfo.InvariantCulture);

    [Fact]
    public void A_scheduled_fire_covers_the_slot_from_the_cron_fire_time_before_it_to_its_own_in_the_schedules_time_zone()
    {
        var interval = DataIntervals.Of("0 0 * * * ?", Berlin, new DateTimeOffset(2026, 1, 15, 10, 0, 0, TimeSpan.Zero));

        Assert.Equal("2026-01-15T10:00:00+01:00", Iso(interval.Start));
        Assert.Equal("2026-01-15T11:00:00+01:00", Iso(interval.End));
    }

    [Fact]
    public void A_fire_between_fire_times_by_hand_or_after_a_misfire_covers_the_last_slot_that_has_ended()
    {
        var interval = DataIntervals.Of("0 0 * * * ?", TimeZoneInfo.Utc, new DateTimeOffset(2026, 6, 1, 10, 17, 30, 500, TimeSpan.Zero));

        Assert.Equal((new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero)),
            (interval.Start, interval.End));
    }

    [Fact]
    public void The_first_fire_of_a_sparse_schedule_reaches_back_to_the_cron_fire_time_before_it()
    {
        // Yearly on January 1st, 00:00 Berlin: the interval is the whole previous year.
        var interval = DataIntervals.Of("0 0 0 1 1 ?", Berlin, new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero));

        Assert.Equal("2026-01-01T00:00:00+01:00", Iso(interval.Start));
        Assert.Equal("2027-01-01T00:00:00+01:00", Iso(interval.End));
    }

    [Fact]
    public void Daily_intervals_across_the_spring_forward_night_are_23_hours_long_with_the_offset_of_each_end()
    {
        var intervals = DataIntervals.Within("0 0 0 * * ?", Berlin, new DateTimeOffset(2026, 3, 28, 0, 0, 0, TimeSpan.FromHours(1)),
            new DateTimeOffset(2026, 3, 30, 0, 0, 0, TimeSpan.FromHours(2)), limit: 10);

        Assert.Equal(["2026-03-28T00:00:00+01:00/2026-03-29T00:00:00+01:00", "2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00"],
            intervals.Select(i => $"{Iso(i.Start)}/{Iso(i.End)}"));
        Assert.Equal(TimeSpan.FromHours(23), intervals[1].End - intervals[1].Start);
    }

    [Fact]
    public void The_intervals_within_a_range_are_those_lying_wholly_inside_it_and_one_more_than_the_limit_at_most()
    {
        var day = new DateTimeOffset(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(24, DataIntervals.Within("0 0 * * * ?", TimeZoneInfo.Utc, day, day.AddDays(1), limit: 100).Count);
        // 00:30 to 03:30: only 01:00-02:00 and 02:00-03:00 lie inside.
        var inner = DataIntervals.Within("0 0 * * * ?", TimeZoneInfo.Utc, day.AddMinutes(30), day.AddHours(3.5), limit: 100);
        Assert.Equal([day.AddHours(1), day.AddHours(2)], inner.Select(i => i.Start));
        Assert.Equal(11, DataIntervals.Within("* * * * * ?", TimeZoneInfo.Utc, day, day.AddDays(1), limit: 10).Count);
    }

    [Fact]
    public void Placeholders_in_string_values_anywhere_in_the_settings_are_replaced_with_iso_8601_or_the_format_given()
    {
        var settings = JsonSerializer.SerializeToElement(new
        {
            note = "from {interval_start} to {interval_end}",
            day = "{interval_start:yyyy-MM-dd}",
            nested = new { list = new[] { "{interval_end:HH}h", "plain \\d{2} {}" }, count = 3 },
        });
        var interval = new DataInterval(new DateTimeOffset(2026, 7, 1, 13, 0, 0, TimeSpan.FromHours(2)), new DateTimeOffset(2026, 7, 1, 14, 0, 0, TimeSpan.FromHours(2)));

        var resolved = IntervalPlaceholders.Resolve(settings, interval);

        Assert.Empty(IntervalPlaceholders.Problems(settings));
        Assert.Equal("from 2026-07-01T13:00:00+02:00 to 2026-07-01T14:00:00+02:00", resolved.GetProperty("note").GetString());
        Assert.Equal("2026-07-01", resolved.GetProperty("day").GetString());
        var list = resolved.GetProperty("nested").GetProperty("list");
        Assert.Equal(["14h", "plain \\d{2} {}"], list.EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, resolved.GetProperty("nested").GetProperty("count").GetInt32());
    }

    [Fact]
    public void An_unknown_placeholder_or_an_unusable_format_is_a_problem_named_by_the_path_of_its_string()
    {
        var settings = JsonSerializer.SerializeToElement(new { note = "{interval_middle}", nested = new { list = new[] { "ok", "{interval_start:}" } } });

        var problems = IntervalPlaceholders.Problems(settings);

        Assert.Contains("unknown placeholder '{interval_middle}'", Assert.Single(problems["note"]));
        Assert.Contains("is not a .NET date format", Assert.Single(problems["nested.list[1]"]));
    }

    [Fact]
    public void A_schedule_with_an_unknown_placeholder_is_refused_when_it_is_saved()
    {
        var spec = new ScheduleSpec("s", "0 0 * * * ?", "UTC", "synthetic", JsonSerializer.SerializeToElement(new { note = "{yesterday}" }),
            ScheduleMisfire.Skip, ScheduleOverlap.Allow, true);

        var error = Assert.Throws<InvalidScheduleException>(() => ScheduleStore.Build(spec));

        Assert.Contains("settings: note: unknown placeholder '{yesterday}'", error.Message);
    }
}
