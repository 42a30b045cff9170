using System.Globalization;
using Jobs.Contracts;
using Jobs.Plugins.Preaggregates;

namespace Jobs.Integrations.Tests.Preaggregates;

/// <summary>Days counted whole in each source's own time zone, on real PostgreSQL tables, with "now" fixed by the test.</summary>
public sealed class PreaggregatesTimeZoneTests(PreaggregatesFixture fixture) : IClassFixture<PreaggregatesFixture>
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static IEnumerable<string> Days(string first, string last)
    {
        for (var day = DateOnly.Parse(first, CultureInfo.InvariantCulture); day <= DateOnly.Parse(last, CultureInfo.InvariantCulture); day = day.AddDays(1))
            yield return day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    [Theory]
    // Spring forward: 10 March 2024 has 23 hours in Los Angeles; it is over at 07:00Z on the 11th (00:00 PDT), not 08:00Z.
    [InlineData("2024-03-10", "2024-03-11T06:59:59Z", "2024-03-10T00:00:00-08:00")]
    [InlineData("2024-03-10", "2024-03-11T07:00:00Z", "2024-03-11T00:00:00-07:00")]
    // Fall back: 3 November 2024 has 25 hours; it is over at 08:00Z on the 4th (00:00 PST), not 07:00Z.
    [InlineData("2024-11-03", "2024-11-04T07:59:59Z", "2024-11-03T00:00:00-07:00")]
    [InlineData("2024-11-03", "2024-11-04T08:00:00Z", "2024-11-04T00:00:00-08:00")]
    public async Task When_a_daily_table_in_Los_Angeles_spans_a_DST_change_Should_count_the_day_only_once_it_is_over_there(
        string lastDay, string now, string expectedUntil)
    {
        await using var run = new PreaggregatesHarness(fixture);
        var firstDay = DateOnly.Parse(lastDay, CultureInfo.InvariantCulture).AddDays(-2).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var table = await PreaggregatesFixture.TableAsync(fixture.SourceA, "day", "date", Days(firstDay, lastDay).ToArray());
        var la = run.Source("la", fixture.SourceA, "America/Los_Angeles", dailyTables: [table]);
        run.Now = At(now);

        var metadata = await run.PublishAsync();

        var daily = Assert.Single(metadata.Sources).Daily!;
        Assert.Equal(expectedUntil, Iso(daily.Until));
        Assert.Equal(expectedUntil, await run.ValueAsync(PreaggregatesKeys.SourceDailyCompleteUntil(run.View, la)));
        Assert.Equal(At(expectedUntil), metadata.Synchronized.CompleteUntil);
        Assert.Equal(Iso(At(expectedUntil).ToUniversalTime()), await run.ValueAsync(PreaggregatesKeys.DailyCompleteUntil(run.View)));
        Assert.Equal((At(now) - At(expectedUntil)).TotalSeconds, metadata.Synchronized.LagSeconds);
    }

    [Theory]
    // Both zones finished 1 May: Tokyo's day ended 11 hours before New York's.
    [InlineData("2024-05-03T00:00:00Z", "2024-05-02T00:00:00+09:00", "2024-05-02T00:00:00-04:00", "2024-05-01T15:00:00+00:00")]
    // 16:00Z: 1 May is over in Tokyo (01:00 on the 2nd) but not in New York (12:00 on the 1st).
    [InlineData("2024-05-01T16:00:00Z", "2024-05-02T00:00:00+09:00", "2024-05-01T00:00:00-04:00", "2024-05-01T04:00:00+00:00")]
    public async Task When_sources_are_in_different_time_zones_Should_compare_their_whole_days_as_instants(
        string now, string tokyoUntil, string newYorkUntil, string synchronizedUntil)
    {
        await using var run = new PreaggregatesHarness(fixture);
        var tokyo = run.Source("tokyo", fixture.SourceA, "Asia/Tokyo",
            dailyTables: [await PreaggregatesFixture.TableAsync(fixture.SourceA, "day", "date", Days("2024-04-28", "2024-05-01").ToArray())]);
        // Days stored as instants (timestamptz at local midnight) are read back in the source's zone.
        var newYork = run.Source("new-york", fixture.SourceB, "America/New_York",
            dailyTables: [await PreaggregatesFixture.TableAsync(fixture.SourceB, "day", "timestamptz", Days("2024-04-28", "2024-05-01").Select(d => $"{d} 00:00:00-04").ToArray())]);
        run.Now = At(now);

        var metadata = await run.PublishAsync();

        Assert.Equal(tokyoUntil, await run.ValueAsync(PreaggregatesKeys.SourceDailyCompleteUntil(run.View, tokyo)));
        Assert.Equal(newYorkUntil, await run.ValueAsync(PreaggregatesKeys.SourceDailyCompleteUntil(run.View, newYork)));
        Assert.Equal(synchronizedUntil, await run.ValueAsync(PreaggregatesKeys.CompleteUntil(run.View)));
        Assert.Equal(synchronizedUntil, await run.ValueAsync(PreaggregatesKeys.DailyCompleteUntil(run.View)));
        // The common range starts where the later of the two first days starts: 28 April in New York.
        Assert.Equal(At("2024-04-28T04:00:00Z"), metadata.Synchronized.Daily!.From);
    }

    [Fact]
    public async Task When_batch_hours_are_wall_clock_times_in_Los_Angeles_Should_read_the_repeated_hour_as_its_first_occurrence()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var table = await PreaggregatesFixture.TableAsync(fixture.SourceA, "hour", "timestamp", "2024-11-02 23:00:00", "2024-11-03 00:00:00", "2024-11-03 01:00:00");
        var la = run.Source("la", fixture.SourceA, "America/Los_Angeles", batchTables: [table]);
        run.Now = At("2024-11-05T00:00:00Z");

        var batch = Assert.Single((await run.PublishAsync()).Sources).Batch!;

        // 01:00 happens twice on 3 November; only its first occurrence (PDT) is known to be loaded, so the data ends at the
        // second 01:00 (PST): 09:00Z, not 10:00Z.
        Assert.Equal("2024-11-02T23:00:00-07:00", Iso(batch.From));
        Assert.Equal("2024-11-03T01:00:00-08:00", Iso(batch.Until));
        Assert.Equal("2024-11-03T01:00:00-08:00", await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, la)));
    }
}
