using Jobs.Integrator.ReadModel;
using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Synthetic;
using Jobs.Platforms;
using Jobs.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

/// <summary>
/// A root that failed (a required task, or any child under fail_fast) stops like a cancelled one: the Integrations start
/// none of its queued children and cancel the running ones. The consumers run in MassTransit's harness on the real Redis.
/// </summary>
public sealed class FailedRootTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private readonly FlakyIntegration _flaky = new(0);
    private readonly RequiredWriteIntegration _requiredWrite = new();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        var options = Options.Create(new IntegrationsOptions { InlineChildren = 0, ParallelChildrenPerMessage = 1 });
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(host.Redis)
            .AddSingleton(host.Postgres)
            .AddSingleton(options)
            .AddSingleton(new IntegrationRegistry([_flaky, _requiredWrite, new SyntheticIntegration()], options))
            .AddSingleton<RunningJobs>()
            .AddSingleton<ChildJobRunner>()
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<RunChildJobsConsumer>();
                x.AddConsumer<JobCancellationConsumer>();
            })
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        _harness.TestTimeout = TimeSpan.FromSeconds(20);
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    private static RunChildJobs Batch(Guid root, string platform, string task, JsonElement settings, int count) =>
        new(root, platform, Enumerable.Range(0, count)
            .Select(i => new ChildJob(JobIds.Child(JobIds.Entry(root), i), JobIds.Entry(root), root, 1, task, settings)).ToList());

    private async Task<IReadOnlyList<ChildJobOutcome>> OutcomesAsync(Guid root) =>
        (await _harness.Published.SelectAsync<ChildJobsFinished>(m => m.Context.Message.RootJobId == root).First()).Context.Message.Outcomes;

    [Fact]
    public async Task When_the_root_is_failing_Should_start_none_of_its_queued_children_and_report_them_not_started()
    {
        var root = Guid.NewGuid();
        await host.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root),
            [new(RootJobKeys.Status, JobStatus.Running), new(RootJobKeys.Failure, "required task 'load' failed: boom")]);
        var batch = Batch(root, FlakyIntegration.Platform, "child", JsonSerializer.SerializeToElement(new { }), 3);

        await _harness.Bus.Publish(batch);

        var outcomes = await OutcomesAsync(root);
        Assert.Equal(batch.Children.Select(c => (c.ChildJobId, false, (string?)FailurePolicy.NotStartedError)),
            outcomes.Select(o => (o.ChildJobId, o.Succeeded, o.Error)));
        Assert.All(batch.Children, c => Assert.Equal(0, _flaky.RunsOf(c.ChildJobId)));
    }

    [Fact]
    public async Task When_the_root_is_running_without_a_failure_Should_run_its_children()
    {
        var root = Guid.NewGuid();
        await host.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root), RootJobKeys.Status, JobStatus.Running);
        var batch = Batch(root, FlakyIntegration.Platform, "child", JsonSerializer.SerializeToElement(new { }), 2);

        await _harness.Bus.Publish(batch);

        Assert.All(await OutcomesAsync(root), o => Assert.True(o.Succeeded, o.Error));
        Assert.All(batch.Children, c => Assert.Equal(1, _flaky.RunsOf(c.ChildJobId)));
    }

    [Fact]
    public async Task When_a_child_fails_under_fail_fast_Should_not_start_the_rest_of_its_batch()
    {
        var root = Guid.NewGuid();
        await host.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root),
            [new(RootJobKeys.Status, JobStatus.Running), new(RootJobKeys.FailurePolicy, FailurePolicy.FailFast)]);
        // Every child fails (fail_ratio 1), one after the other: the first failure stops the rest.
        var settings = SettingsValidator.Validate(SettingsSchema.For<SyntheticSettings>(),
            JsonSerializer.SerializeToElement(new { fail_ratio = 1.0, work_ms = 200 })).Settings;
        var batch = Batch(root, "synthetic", SyntheticIntegration.Child, settings, 100);

        await _harness.Bus.Publish(batch);

        var outcomes = await OutcomesAsync(root);
        Assert.All(outcomes, o => Assert.False(o.Succeeded));
        var ran = outcomes.Count(o => o.Error!.Contains("synthetic failure", StringComparison.Ordinal));
        var notStarted = outcomes.Count(o => o.Error == FailurePolicy.NotStartedError);
        Assert.Equal(100, outcomes.Count);
        Assert.Equal((1, 99), (ran, notStarted));
    }

    [Fact]
    public async Task When_a_required_task_fails_Should_not_start_the_rest_of_its_batch_whatever_the_policy()
    {
        var root = Guid.NewGuid();
        await host.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root),
            [new(RootJobKeys.Status, JobStatus.Running), new(RootJobKeys.FailurePolicy, FailurePolicy.Continue)]);
        var empty = JsonSerializer.SerializeToElement(new { });
        var batch = new RunChildJobs(root, RequiredWriteIntegration.Platform,
            new[] { RequiredWriteIntegration.Read, RequiredWriteIntegration.Write, RequiredWriteIntegration.Read, RequiredWriteIntegration.Read }
                .Select((task, i) => new ChildJob(JobIds.Child(JobIds.Entry(root), i), JobIds.Entry(root), root, 1, task, empty)).ToList());
        var readsBefore = _requiredWrite.Reads;

        await _harness.Bus.Publish(batch);

        var outcomes = await OutcomesAsync(root);
        (bool, string?)[] expected =
            [(true, null), (false, "InvalidOperationException: the write step failed"), (false, FailurePolicy.NotStartedError), (false, FailurePolicy.NotStartedError)];
        Assert.Equal(expected, outcomes.Select(o => (o.Succeeded, o.Error)));
        Assert.Equal(1, _requiredWrite.Reads - readsBefore);
    }

    [Fact]
    public async Task When_children_fail_under_continue_Should_run_the_whole_batch()
    {
        var root = Guid.NewGuid();
        await host.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root),
            [new(RootJobKeys.Status, JobStatus.Running), new(RootJobKeys.FailurePolicy, FailurePolicy.Continue)]);
        var settings = SettingsValidator.Validate(SettingsSchema.For<SyntheticSettings>(), JsonSerializer.SerializeToElement(new { fail_ratio = 1.0 })).Settings;

        await _harness.Bus.Publish(Batch(root, "synthetic", SyntheticIntegration.Child, settings, 40));

        Assert.All(await OutcomesAsync(root), o => Assert.Contains("synthetic failure", o.Error));
    }

    [Fact]
    public async Task When_the_root_fails_while_a_child_runs_Should_cancel_the_running_child()
    {
        var root = Guid.NewGuid();
        await host.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root), RootJobKeys.Status, JobStatus.Running);
        var settings = SettingsValidator.Validate(SettingsSchema.For<SyntheticSettings>(), JsonSerializer.SerializeToElement(new { work_ms = 600_000 })).Settings;
        var batch = Batch(root, "synthetic", SyntheticIntegration.Child, settings, 1);
        await _harness.Bus.Publish(batch);
        await Eventually.Until(() => host.Redis.GetDatabase().HashExistsAsync(RunKeys.RunningKey(root), batch.Children[0].ChildJobId.ToString("N")),
            started => started, TimeSpan.FromSeconds(10), "the ten-minute child started");

        await _harness.Bus.Publish(new RootJobFailed(root, "synthetic", null, 2, 0, 1, "task 'child' failed (failure policy fail_fast): boom",
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));

        // Stopped, not run for ten minutes (whether the failure arrived just before its run began or while it ran).
        var outcome = Assert.Single(await OutcomesAsync(root));
        Assert.False(outcome.Succeeded);
        Assert.Contains(outcome.Error, new[] { ChildJobRunner.StoppedRootFailed, FailurePolicy.NotStartedError });
    }
}
