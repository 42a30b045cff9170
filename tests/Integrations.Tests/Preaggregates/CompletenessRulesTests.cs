using System.Globalization;
using Jobs.Contracts;
using Jobs.Plugins.Preaggregates;

namespace Jobs.Integrations.Tests.Preaggregates;

/// <summary>The time rules and the synchronization on their own (no database), for the edge cases tables make awkward.</summary>
public sealed class CompletenessRulesTests
{
    private static readonly TimeZoneInfo LosAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static PreaggregatesWindow Window(string from, string until) => new(At(from), At(until));

    [Fact]
    public void When_a_wall_clock_time_falls_in_the_skipped_spring_hour_Should_read_it_as_the_instant_the_clocks_jumped()
    {
        var instant = CompletenessRules.ToInstant(SourceTime.Wall(new DateTime(2024, 3, 10, 2, 30, 0)), LosAngeles);

        Assert.Equal(At("2024-03-10T10:00:00Z"), instant);
    }

    [Fact]
    public void When_a_day_starts_in_a_skipped_hour_Should_start_it_when_the_clocks_jumped()
    {
        // Santiago de Chile moved its clocks from 00:00 to 01:00 on 8 September 2024: that day has no midnight.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");

        Assert.Equal(At("2024-09-08T01:00:00-03:00"), CompletenessRules.DayStart(new DateOnly(2024, 9, 8), santiago));
    }

    [Fact]
    public void When_only_rows_of_the_running_hour_and_day_exist_Should_have_nothing_complete()
    {
        var now = At("2024-05-01T10:30:00Z");
        var range = new LoadedRange(SourceTime.Instant(At("2024-05-01T10:00:00Z")), SourceTime.Instant(At("2024-05-01T10:00:00Z")));
        var today = new LoadedRange(SourceTime.Wall(new DateOnly(2024, 5, 1)), SourceTime.Wall(new DateOnly(2024, 5, 1)));

        Assert.Null(CompletenessRules.Batch(range, TimeZoneInfo.Utc, now));
        Assert.Null(CompletenessRules.Daily(today, TimeZoneInfo.Utc, now));
        Assert.Null(CompletenessRules.Batch(null, TimeZoneInfo.Utc, now));
    }

    [Fact]
    public void When_windows_are_missing_or_disjoint_Should_intersect_to_nothing()
    {
        var may1 = Window("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z");

        Assert.Null(CompletenessRules.Intersect([]));
        Assert.Null(CompletenessRules.Intersect([may1, null]));
        Assert.Null(CompletenessRules.Intersect([may1, Window("2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z")]));
        Assert.Equal(Window("2024-05-01T06:00:00Z", "2024-05-01T12:00:00Z"),
            CompletenessRules.Intersect([may1, Window("2024-04-30T00:00:00Z", "2024-05-01T12:00:00Z"), Window("2024-05-01T06:00:00Z", "2024-05-09T00:00:00Z")]));
    }

    private static PreaggregatesSource Ok(string name, PreaggregatesWindow batch, DateTimeOffset readAt) =>
        new(name, "postgres", "UTC", PreaggregatesStatus.Ok, null, readAt, batch, null, batch.Until, null);

    private static readonly PlannedSource[] Plan =
    [
        new("a", "postgres", "UTC", true, false),
        new("b", "postgres", "Europe/Paris", true, false),
    ];

    [Fact]
    public void When_a_child_left_no_reading_Should_publish_its_source_down_with_why_and_its_configured_kind_and_zone()
    {
        var now = At("2024-05-02T00:00:00Z");
        var readings = new Dictionary<string, PreaggregatesSource> { ["a"] = Ok("a", Window("2024-05-01T00:00:00Z", "2024-05-01T10:00:00Z"), now) };

        var metadata = Synchronizer.Compute("v", DownSourcePolicy.Exclude, Plan, readings, null, now);

        var b = metadata.Sources[1];
        Assert.Equal(("b", PreaggregatesStatus.Down, Synchronizer.NoReading, "Europe/Paris"), (b.Name, b.Status, b.Error, b.TimeZone));
        Assert.Equal(At("2024-05-01T10:00:00Z"), metadata.Synchronized.CompleteUntil);
        Assert.Equal(["b"], metadata.Synchronized.Excluded);
    }

    [Fact]
    public void When_every_source_is_down_under_exclude_Should_publish_no_time_because_none_can_be_read()
    {
        var metadata = Synchronizer.Compute("v", DownSourcePolicy.Exclude, Plan, new Dictionary<string, PreaggregatesSource>(), null, At("2024-05-02T00:00:00Z"));

        Assert.Null(metadata.Synchronized.CompleteUntil);
        Assert.Equal("no source can be read", metadata.Synchronized.Reason);
        Assert.Equal(["a", "b"], metadata.Synchronized.Excluded);
    }
}
