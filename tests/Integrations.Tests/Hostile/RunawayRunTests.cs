using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Synthetic;
using Jobs.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>Runs past their deadline: stopped through their token, or, when they ignore it, abandoned with their slot freed.</summary>
[Collection(HostileInputs.Collection)]
public sealed class RunawayRunTests(HostFixture host) : IClassFixture<HostFixture>
{
    private ChildJobRunner Runner(IntegrationsOptions options, IIntegration integration) =>
        new(new IntegrationRegistry([integration], Options.Create(options)), new RunningJobs(), host.Redis, host.Postgres, Options.Create(options),
            NullLogger<ChildJobRunner>.Instance);

    private static ChildJob Child(Guid root, int index, string task, string settings = "{}") =>
        new(JobIds.Child(JobIds.Entry(root), index), JobIds.Entry(root), root, 1, task, JsonDocument.Parse(settings).RootElement);

    [Fact]
    public async Task A_run_that_ignores_cancellation_is_abandoned_at_its_deadline_counted_failed_and_its_slot_freed()
    {
        using var stubborn = new StubbornIntegration();
        // One child at a time: the second child runs only once the first one's slot is free.
        var runner = Runner(new IntegrationsOptions
        {
            ChildDeadline = TimeSpan.FromMilliseconds(300), AbandonGrace = TimeSpan.FromMilliseconds(200), ParallelChildrenPerMessage = 1, InlineChildren = 0,
        }, stubborn);
        var root = Guid.NewGuid();
        var abandonedBefore = RunMetrics.Abandoned.WithLabels(StubbornIntegration.Platform).Value;

        var run = await runner.RunBatchAsync(new RunChildJobs(root, StubbornIntegration.Platform,
            [Child(root, 0, StubbornIntegration.Hold), Child(root, 1, "quick")]), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal([(false, "abandoned after its deadline of 00:00:00.3: the run ignored cancellation"), (true, null)],
            run.Outcomes.Select(o => (o.Succeeded, o.Error)));
        Assert.Equal(abandonedBefore + 1, RunMetrics.Abandoned.WithLabels(StubbornIntegration.Platform).Value);
        Assert.Equal(1, RunMetrics.AbandonedRunning.WithLabels(StubbornIntegration.Platform).Value);

        // The abandoned run is still counted until it returns, if ever.
        stubborn.Release();
        await Eventually.Until(() => Task.FromResult(RunMetrics.AbandonedRunning.WithLabels(StubbornIntegration.Platform).Value), v => v == 0,
            TimeSpan.FromSeconds(10), "the abandoned run to be counted as returned");
    }

    [Fact]
    public async Task A_run_that_honours_cancellation_is_stopped_at_its_integrations_deadline_as_timed_out()
    {
        var runner = Runner(new IntegrationsOptions
        {
            ChildDeadline = TimeSpan.FromHours(1), Deadlines = new(StringComparer.OrdinalIgnoreCase) { ["synthetic"] = TimeSpan.FromMilliseconds(200) },
        }, new SyntheticIntegration());
        var root = Guid.NewGuid();

        var run = await runner.ExecuteAsync(root, "synthetic", Child(root, 0, SyntheticIntegration.Child, """{"work_ms": 600000}"""), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal((false, "timed out: stopped at its deadline of 00:00:00.2 (Integrations:ChildDeadline / Deadlines)"), (run.Outcome.Succeeded, run.Outcome.Error));
        Assert.Equal(1, run.Outcome.Attempts);
    }
}
