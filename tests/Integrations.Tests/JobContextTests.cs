using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Synthetic;
using Microsoft.Extensions.Logging.Abstractions;

namespace Jobs.Integrations.Tests;

public sealed class JobContextTests(HostFixture host) : IClassFixture<HostFixture>
{
    private JobContext Context(Guid root, string task, string settingsJson) =>
        new(root, new ChildJob(JobIds.Child(root, 0), root, root, 1, task, JsonDocument.Parse(settingsJson).RootElement), new RunReports(host.Redis), host.Redis,
            host.Postgres, NullLogger.Instance, CancellationToken.None);

    [Fact]
    public void When_reading_settings_Should_bind_snake_case_to_the_typed_settings()
    {
        var context = Context(Guid.NewGuid(), "child", """{"children": 4, "work_ms": 12, "fail_ratio": 0.5, "continuation": true}""");

        var settings = context.SettingsAs<SyntheticSettings>();

        Assert.Equal((4, 12, 0.5, true), (settings.Children, settings.WorkMs, settings.FailRatio, settings.Continuation));
    }

    [Fact]
    public void When_settings_are_json_null_Should_throw_naming_the_job()
    {
        var context = Context(Guid.NewGuid(), "child", "null");

        var error = Assert.Throws<InvalidOperationException>(() => context.SettingsAs<SyntheticSettings>());
        Assert.Contains(context.JobId.ToString(), error.Message);
    }

    [Fact]
    public void When_spawning_children_Should_default_to_the_parent_settings_and_serialize_objects_snake_case()
    {
        var context = Context(Guid.NewGuid(), "child", """{"children": 4}""");

        context.SpawnChild("a");
        context.SpawnChild("b", new SyntheticSettings { WorkMs = 7 });
        context.SpawnChild("c", JsonDocument.Parse("""{"x": 1}""").RootElement);

        Assert.Equal(["a", "b", "c"], context.Children.Select(c => c.Task));
        Assert.Equal("""{"children": 4}""", context.Children[0].Settings.GetRawText());
        Assert.Equal(7, context.Children[1].Settings.GetProperty("work_ms").GetInt32());
        Assert.Equal("""{"x": 1}""", context.Children[2].Settings.GetRawText());
    }

    [Fact]
    public void When_asking_for_a_second_continuation_Should_refuse()
    {
        var context = Context(Guid.NewGuid(), "entry", "{}");
        context.ContinueWith("summary");

        Assert.Throws<InvalidOperationException>(() => context.ContinueWith("again"));
        Assert.Equal("summary", context.Continuation?.Task);
    }

    [Theory]
    [InlineData("", "vendor", 1.0)]
    [InlineData("products", " ", 1.0)]
    [InlineData("products", "vendor", double.NaN)]
    [InlineData("products", "vendor", double.PositiveInfinity)]
    public void When_a_measurement_lacks_a_name_or_is_not_finite_Should_refuse_it(string dataset, string subject, double value)
    {
        var context = Context(Guid.NewGuid(), "entry", "{}");

        Assert.ThrowsAny<ArgumentException>(() => context.Measure(dataset, subject, value));
        Assert.Empty(context.Measurements);
    }

    [Fact]
    public async Task When_runs_report_rows_Should_sum_the_latest_figure_of_each_run_and_keep_the_latest_message()
    {
        var root = Guid.NewGuid();
        var (first, second) = (Context(root, "child", "{}"), new JobContext(root,
            new ChildJob(JobIds.Child(root, 1), root, root, 1, "child", JsonDocument.Parse("{}").RootElement), new RunReports(host.Redis), host.Redis, host.Postgres,
            NullLogger.Instance, CancellationToken.None));
        var key = RunKeys.ProgressKey(root);
        try
        {
            await first.ReportProgressAsync(10, "page 1", rows: 10);
            await second.ReportProgressAsync(50, "half", rows: 5);
            await first.ReportProgressAsync(30, "page 3", rows: 30);

            var db = host.Redis.GetDatabase();
            Assert.Equal(35, (long)await db.HashGetAsync(key, RunKeys.ProgressRows));
            Assert.Equal("page 3", (string?)await db.HashGetAsync(key, RunKeys.ProgressMessage));
            Assert.True(await db.KeyTimeToLiveAsync(key) > TimeSpan.FromDays(6));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => first.ReportProgressAsync(101, "too far"));
        }
        finally
        {
            await host.Redis.GetDatabase().KeyDeleteAsync(key);
        }
    }

    [Fact]
    public async Task When_storing_datasets_Should_keep_them_per_run_and_refuse_one_over_the_size_limit()
    {
        var root = Guid.NewGuid();
        var context = Context(root, "child", "{}");
        var key = RunKeys.DatasetsKey(root);
        try
        {
            await context.StoreDatasetAsync("original", new[] { new { sku = "A1", price = "$9.99" } });

            var stored = await host.Redis.GetDatabase().HashGetAsync(key, $"{context.JobId:N}/original");
            Assert.Equal("""[{"sku":"A1","price":"$9.99"}]""", stored.ToString());
            var huge = new string('x', JobContext.MaxDatasetBytes);
            var error = await Assert.ThrowsAsync<ArgumentException>(() => context.StoreDatasetAsync("processed", huge));
            Assert.Contains("processed", error.Message);
            Assert.False(await host.Redis.GetDatabase().HashExistsAsync(key, $"{context.JobId:N}/processed"));
        }
        finally
        {
            await host.Redis.GetDatabase().KeyDeleteAsync(key);
        }
    }
}
