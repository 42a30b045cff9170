using System.Globalization;
using Jobs.Contracts;
using Jobs.Plugins.Preaggregates;

namespace Jobs.Integrations.Tests.Preaggregates;

/// <summary>Whole jobs over real PostgreSQL sources (tables the tests create), published to the real Redis.</summary>
public sealed class PreaggregatesIntegrationTests(PreaggregatesFixture fixture) : IClassFixture<PreaggregatesFixture>
{
    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static PreaggregatesWindow Window(string from, string until) => new(At(from), At(until));

    /// <summary>timestamptz literals for the hours <paramref name="first"/>..<paramref name="last"/> (UTC) of <paramref name="day"/>.</summary>
    private static string[] Hours(string day, int first, int last) =>
        Enumerable.Range(first, last - first + 1).Select(h => $"{day} {h:00}:00:00+00").ToArray();

    private static Task<string> HourlyAsync(string database, params string[] hours) =>
        PreaggregatesFixture.TableAsync(database, "hour", "timestamptz", hours);

    /// <summary>Sources a and b, each with one hourly table in its own database.</summary>
    private async Task<(string A, string B)> HourlySourcesAsync(PreaggregatesHarness run, string[] aHours, string[] bHours) =>
        (run.Source("a", fixture.SourceA, batchTables: [await HourlyAsync(fixture.SourceA, aHours)]),
            run.Source("b", fixture.SourceB, batchTables: [await HourlyAsync(fixture.SourceB, bHours)]));

    private static PreaggregatesSource Of(PreaggregatesMetadata metadata, string name) => Assert.Single(metadata.Sources, s => s.Name == name);

    [Fact]
    public async Task When_sources_overlap_Should_publish_where_both_are_complete_as_offset_strings_a_document_and_lag_metrics()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var (a, b) = await HourlySourcesAsync(run, Hours("2024-05-01", 0, 10), Hours("2024-05-01", 3, 8));
        run.Now = At("2024-05-02T12:00:00Z");

        var metadata = await run.PublishAsync();

        Assert.Equal(Window("2024-05-01T00:00:00Z", "2024-05-01T11:00:00Z"), Of(metadata, a).Batch);
        Assert.Equal(Window("2024-05-01T03:00:00Z", "2024-05-01T09:00:00Z"), Of(metadata, b).Batch);
        Assert.Equal([PreaggregatesStatus.Ok, PreaggregatesStatus.Ok], metadata.Sources.Select(s => s.Status));
        Assert.Equal(Window("2024-05-01T03:00:00Z", "2024-05-01T09:00:00Z"), metadata.Synchronized.Batch);
        Assert.Null(metadata.Synchronized.Daily);
        Assert.Equal(At("2024-05-01T09:00:00Z"), metadata.Synchronized.CompleteUntil);
        Assert.Equal([a, b], metadata.Synchronized.Sources);
        Assert.Null(metadata.Synchronized.Reason);
        Assert.Equal(run.Now, metadata.ComputedAt);
        Assert.Equal("block", metadata.DownPolicy);

        Assert.Equal("2024-05-01T09:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.CompleteUntil(run.View)));
        Assert.Equal("2024-05-01T09:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.BatchCompleteUntil(run.View)));
        Assert.Null(await run.ValueAsync(PreaggregatesKeys.DailyCompleteUntil(run.View)));
        Assert.Equal("2024-05-01T11:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, a)));
        Assert.Equal("2024-05-02T12:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.ComputedAt(run.View)));

        Assert.Equal(25 * 3600, PreaggregatesMetrics.Lag.WithLabels(a).Value);
        Assert.Equal(27 * 3600, PreaggregatesMetrics.Lag.WithLabels(b).Value);
        Assert.Equal(27 * 3600, metadata.Synchronized.LagSeconds);
        Assert.Equal(27 * 3600, PreaggregatesMetrics.SynchronizedLag.WithLabels(run.View).Value);
    }

    [Fact]
    public async Task When_sources_do_not_overlap_Should_publish_each_source_but_no_synchronized_time_and_say_why()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var (a, b) = await HourlySourcesAsync(run, Hours("2024-05-01", 0, 5), Hours("2024-05-03", 0, 5));
        run.Now = At("2024-05-04T00:00:00Z");

        var metadata = await run.PublishAsync();

        Assert.Null(metadata.Synchronized.CompleteUntil);
        Assert.Null(metadata.Synchronized.Batch);
        Assert.Equal("the sources' complete batch ranges do not overlap", metadata.Synchronized.Reason);
        Assert.Null(await run.ValueAsync(PreaggregatesKeys.CompleteUntil(run.View)));
        Assert.Equal("2024-05-01T06:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, a)));
        Assert.Equal("2024-05-03T06:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, b)));
    }

    [Fact]
    public async Task When_a_source_goes_down_under_block_Should_mark_it_stale_with_the_error_and_hold_the_time_at_its_last_known_values()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var doomed = await fixture.CreateDatabaseAsync();
        var a = run.Source("a", fixture.SourceA, batchTables: [await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 0, 10))]);
        var b = run.Source("b", doomed, batchTables: [await HourlyAsync(doomed, Hours("2024-05-01", 0, 8))]);
        run.Now = At("2024-05-02T12:00:00Z");
        var first = await run.PublishAsync();
        Assert.Equal(At("2024-05-01T09:00:00Z"), first.Synchronized.CompleteUntil);

        await Jobs.TestSupport.Infrastructure.DropDatabaseAsync(doomed);
        run.Now = At("2024-05-02T13:00:00Z");
        var second = await run.PublishAsync();

        var stale = Of(second, b);
        Assert.Equal(PreaggregatesStatus.Stale, stale.Status);
        Assert.False(string.IsNullOrEmpty(stale.Error));
        Assert.Equal(At("2024-05-02T12:00:00Z"), stale.ReadAt);
        Assert.Equal(Window("2024-05-01T00:00:00Z", "2024-05-01T09:00:00Z"), stale.Batch);
        Assert.Equal(28 * 3600, stale.LagSeconds);
        Assert.Equal(PreaggregatesStatus.Ok, Of(second, a).Status);
        Assert.Equal(At("2024-05-01T09:00:00Z"), second.Synchronized.CompleteUntil);
        Assert.Equal([b], second.Synchronized.Stale);
        Assert.Empty(second.Synchronized.Excluded);
        Assert.Equal(0, PreaggregatesMetrics.Up.WithLabels(b).Value);
        Assert.Equal(1, PreaggregatesMetrics.Up.WithLabels(a).Value);
    }

    [Fact]
    public async Task When_a_source_is_unreachable_under_exclude_Should_report_it_down_without_its_secrets_and_synchronize_the_others()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var password = $"s3cret-{run.Unique}";
        var a = run.Source("a", fixture.SourceA, batchTables: [await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 0, 10))]);
        var b = run.Source("b", $"Host=127.0.0.1;Port=1;Database=nowhere;Username=reader;Password={password}", batchTables: ["hourly"]);

        var run1 = await run.RunAsync(new { view = run.View, down_policy = "exclude" });
        var metadata = await run.DocumentAsync(run.View);

        Assert.All(run1.Children, c => Assert.True(c.Succeeded, c.Error));
        var down = Of(metadata, b);
        Assert.Equal(PreaggregatesStatus.Down, down.Status);
        Assert.False(string.IsNullOrEmpty(down.Error));
        Assert.Null(down.Batch);
        Assert.Equal("exclude", metadata.DownPolicy);
        Assert.Equal([a], metadata.Synchronized.Sources);
        Assert.Equal([b], metadata.Synchronized.Excluded);
        Assert.Equal(At("2024-05-01T11:00:00Z"), metadata.Synchronized.CompleteUntil);
        var published = (await run.ValueAsync(PreaggregatesKeys.Document(run.View)))!;
        Assert.DoesNotContain(password, published);
        Assert.DoesNotContain("Port=1", published);
        Assert.DoesNotContain(password, run1.Children.Select(c => c.Error ?? "").Append(run1.Synchronize!.Error ?? ""));
    }

    [Fact]
    public async Task When_a_source_never_read_is_down_under_block_Should_publish_no_synchronized_time_naming_the_source()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var a = run.Source("a", fixture.SourceA, batchTables: [await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 0, 10))]);
        var b = run.Source("b", "Host=127.0.0.1;Port=1;Database=nowhere;Username=reader;Password=x", batchTables: ["hourly"]);

        var metadata = await run.PublishAsync();

        Assert.Equal(PreaggregatesStatus.Down, Of(metadata, b).Status);
        Assert.Null(metadata.Synchronized.CompleteUntil);
        Assert.Contains($"'{b}'", metadata.Synchronized.Reason);
        Assert.Null(await run.ValueAsync(PreaggregatesKeys.CompleteUntil(run.View)));
        Assert.Equal("2024-05-01T11:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, a)));
    }

    [Fact]
    public async Task When_a_table_is_empty_Should_report_the_source_ok_with_nothing_complete_and_no_synchronized_time()
    {
        await using var run = new PreaggregatesHarness(fixture);
        run.Source("a", fixture.SourceA, batchTables: [await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 0, 10))]);
        var b = run.Source("b", fixture.SourceB, batchTables: [await HourlyAsync(fixture.SourceB)],
            dailyTables: [await PreaggregatesFixture.TableAsync(fixture.SourceB, "day", "date")]);

        var metadata = await run.PublishAsync();

        var empty = Of(metadata, b);
        Assert.Equal((PreaggregatesStatus.Ok, null, null, null), (empty.Status, empty.Batch, empty.Daily, empty.CompleteUntil));
        Assert.Null(empty.LagSeconds);
        Assert.Null(metadata.Synchronized.CompleteUntil);
        Assert.Equal($"source '{b}' has no complete data", metadata.Synchronized.Reason);
        Assert.Null(await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, b)));
        Assert.Null(await run.ValueAsync(PreaggregatesKeys.SourceDailyCompleteUntil(run.View, b)));
    }

    [Fact]
    public async Task When_the_latest_hour_and_day_are_still_running_Should_count_only_those_before_them()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var a = run.Source("a", fixture.SourceA,
            batchTables: [await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 0, 10))],
            dailyTables: [await PreaggregatesFixture.TableAsync(fixture.SourceA, "day", "date", "2024-04-29", "2024-04-30", "2024-05-01")]);
        run.Now = At("2024-05-01T10:30:00Z");

        var source = Of(await run.PublishAsync(), a);

        Assert.Equal(Window("2024-05-01T00:00:00Z", "2024-05-01T10:00:00Z"), source.Batch);
        Assert.Equal(Window("2024-04-29T00:00:00Z", "2024-05-01T00:00:00Z"), source.Daily);
        Assert.Equal(At("2024-05-01T00:00:00Z"), source.CompleteUntil);
    }

    [Fact]
    public async Task When_a_source_has_batch_and_daily_tables_Should_be_complete_only_where_both_kinds_are()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var a = run.Source("a", fixture.SourceA, "Europe/Berlin",
            batchTables: [await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 0, 10)), await HourlyAsync(fixture.SourceA, Hours("2024-05-01", 2, 12))],
            dailyTables: [await PreaggregatesFixture.TableAsync(fixture.SourceA, "day", "date", "2024-04-20", "2024-04-30")]);
        run.Now = At("2024-05-03T00:00:00Z");

        var metadata = await run.PublishAsync();

        var source = Of(metadata, a);
        Assert.Equal(Window("2024-05-01T04:00:00+02:00", "2024-05-01T13:00:00+02:00"), source.Batch);
        Assert.Equal(Window("2024-04-20T00:00:00+02:00", "2024-05-01T00:00:00+02:00"), source.Daily);
        Assert.Equal(At("2024-05-01T00:00:00+02:00"), source.CompleteUntil);
        Assert.Equal(At("2024-05-01T00:00:00+02:00"), metadata.Synchronized.CompleteUntil);
        Assert.Equal("2024-04-30T22:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.CompleteUntil(run.View)));
        Assert.Equal("2024-05-01T13:00:00+02:00", await run.ValueAsync(PreaggregatesKeys.SourceBatchCompleteUntil(run.View, a)));
        Assert.Equal("2024-05-01T00:00:00+02:00", await run.ValueAsync(PreaggregatesKeys.SourceDailyCompleteUntil(run.View, a)));
    }
}
