using Jobs.Contracts;
using Jobs.Plugins.Preaggregates;

namespace Jobs.Integrations.Tests.Preaggregates;

/// <summary>What a job may choose (sources, policy, view) and what it is refused.</summary>
public sealed class PreaggregatesSettingsTests(PreaggregatesFixture fixture) : IClassFixture<PreaggregatesFixture>
{
    private static string[] Hours(params int[] hours) => hours.Select(h => $"2024-05-01 {h:00}:00:00+00").ToArray();

    [Fact]
    public async Task When_the_settings_name_an_unknown_source_Should_fail_the_entry_naming_it_and_spawn_nothing()
    {
        await using var run = new PreaggregatesHarness(fixture);
        run.Source("a", "Host=127.0.0.1;Password=never-shown", batchTables: ["hourly"]);

        var result = await run.RunAsync(new { sources = new[] { "nope" }, view = run.SubsetView });

        Assert.False(result.Entry.Succeeded);
        Assert.Contains("source 'nope' is not configured", result.Entry.Error);
        Assert.DoesNotContain("never-shown", result.Entry.Error);
        Assert.Equal(0, result.Entry.Spawned);
    }

    [Fact]
    public async Task When_a_subset_of_sources_is_run_in_the_default_view_Should_refuse_it()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var a = run.Source("a", fixture.SourceA, batchTables: ["hourly"]);
        run.Source("b", fixture.SourceB, batchTables: ["hourly"]);

        var result = await run.RunAsync(new { sources = new[] { a } });

        Assert.False(result.Entry.Succeeded);
        Assert.Contains("name a view for a subset", result.Entry.Error);
    }

    [Fact]
    public async Task When_no_source_is_configured_Should_fail_the_entry_saying_so()
    {
        await using var run = new PreaggregatesHarness(fixture);

        var result = await run.RunAsync();

        Assert.False(result.Entry.Succeeded);
        Assert.Contains("no preaggregate sources are configured", result.Entry.Error);
    }

    [Fact]
    public async Task When_a_subset_has_a_view_of_its_own_Should_read_only_those_sources_and_publish_only_that_view()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var a = run.Source("a", fixture.SourceA, batchTables: [await PreaggregatesFixture.TableAsync(fixture.SourceA, "hour", "timestamptz", Hours(0, 1, 2))]);
        run.Source("b", "Host=127.0.0.1;Port=1;Database=nowhere;Username=u;Password=p", batchTables: ["hourly"]);

        var metadata = await run.PublishAsync(new { sources = new[] { a }, view = run.SubsetView }, run.SubsetView);

        Assert.Equal([a], metadata.Sources.Select(s => s.Name));
        Assert.Equal(run.SubsetView, metadata.View);
        Assert.Equal("2024-05-01T03:00:00+00:00", await run.ValueAsync(PreaggregatesKeys.CompleteUntil(run.SubsetView)));
        Assert.Null(await run.ValueAsync(PreaggregatesKeys.Document(run.View)));
    }

    [Fact]
    public async Task When_a_table_name_tries_to_inject_sql_Should_report_the_source_down_and_leave_the_database_alone()
    {
        await using var run = new PreaggregatesHarness(fixture);
        var table = await PreaggregatesFixture.TableAsync(fixture.SourceA, "hour", "timestamptz", Hours(0));
        var b = run.Source("b", fixture.SourceA, batchTables: [$"{table}; DROP TABLE {table}; --"]);

        var metadata = await run.PublishAsync();

        Assert.Equal(PreaggregatesStatus.Down, Assert.Single(metadata.Sources, s => s.Name == b).Status);
        await PreaggregatesFixture.ExecuteAsync(fixture.SourceA, $"SELECT count(*) FROM {table}");
    }
}
