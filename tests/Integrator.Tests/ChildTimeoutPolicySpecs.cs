using Jobs.Integrator.ReadModel;
using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.Consumers;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Jobs.Integrator.Tests;

/// <summary>The timeout policy of <see cref="ChildJobsTimedOutConsumer"/> in the in-memory harness, with the real Redis.</summary>
public sealed class ChildTimeoutPolicySpecs(RedisFixture fixture) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;
    private readonly Guid _root = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(fixture.Redis)
            .Configure<ChildTimeoutOptions>(o =>
            {
                o.Default = new ChildTimeoutPolicy { Policy = ChildTimeoutPolicy.Fail };
                o.Platforms["crawler"] = new ChildTimeoutPolicy { Policy = ChildTimeoutPolicy.Retry, MaxRetries = 1 };
            })
            .AddMassTransitTestHarness(x => x.AddConsumer<ChildJobsTimedOutConsumer>())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        _harness.TestInactivityTimeout = TimeSpan.FromSeconds(1);
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        await fixture.Redis.GetDatabase().KeyDeleteAsync([RunKeys.RunningKey(_root), RootJobKeys.TimeoutRetriesKey(_root)]);
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    private ChildJob Running(int index)
    {
        var job = new ChildJob(JobIds.Child(JobIds.Entry(_root), index), JobIds.Entry(_root), _root, 1, "page",
            JsonSerializer.SerializeToElement(new { url = $"https://shop.example/p/{index}" }));
        fixture.Redis.GetDatabase().HashSet(RunKeys.RunningKey(_root), job.ChildJobId.ToString("N"), JsonSerializer.Serialize(job));
        return job;
    }

    private static TimedOutChild TimedOut(ChildJob job) => new(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation);

    private async Task<(List<ChildJob> Resent, List<ChildJobOutcome> Failed)> TimeOutAsync(string platform, params TimedOutChild[] children)
    {
        var (sentBefore, publishedBefore) = (_harness.Sent.Select<RunChildJobs>().Count(), _harness.Published.Select<ChildJobsClosed>().Count());
        var consumedBefore = _harness.Consumed.Select<ChildJobsTimedOut>().Count();
        await _harness.Bus.Publish(new ChildJobsTimedOut(_root, platform, "no progress for 1 h", children));
        await Jobs.TestSupport.Eventually.Until(() => Task.FromResult(_harness.Consumed.Select<ChildJobsTimedOut>().Count()), n => n > consumedBefore,
            TimeSpan.FromSeconds(20), "the timed-out children consumed");
        await _harness.InactivityTask;
        return (_harness.Sent.Select<RunChildJobs>().Skip(sentBefore).SelectMany(m => m.Context.Message.Children).ToList(),
            _harness.Published.Select<ChildJobsClosed>().Skip(publishedBefore).SelectMany(m => m.Context.Message.Outcomes).ToList());
    }

    [Fact]
    public async Task Under_the_retry_policy_a_running_child_is_sent_again_once_and_failed_the_next_time()
    {
        var (recorded, unknown) = (Running(0), new TimedOutChild(JobIds.Child(JobIds.Entry(_root), 9), JobIds.Entry(_root), _root, 1));

        var first = await TimeOutAsync("crawler", TimedOut(recorded), unknown);

        var resent = Assert.Single(first.Resent);
        Assert.Equal((recorded.ChildJobId, "page", recorded.Settings.GetRawText()), (resent.ChildJobId, resent.Task, resent.Settings.GetRawText()));
        // A child the Integrations never recorded as running (it never started) cannot be sent again: it fails.
        Assert.Equal(unknown.ChildJobId, Assert.Single(first.Failed).ChildJobId);

        var second = await TimeOutAsync("crawler", TimedOut(recorded));

        Assert.Empty(second.Resent);
        var failed = Assert.Single(second.Failed);
        Assert.Equal((recorded.ChildJobId, false, ChildJobsTimedOutConsumer.TimedOutTask), (failed.ChildJobId, failed.Succeeded, failed.Task));
        Assert.Contains("no progress for 1 h", failed.Error);
    }

    [Fact]
    public async Task Under_the_default_fail_policy_a_timed_out_child_fails_at_once()
    {
        var recorded = Running(1);

        var result = await TimeOutAsync("other-platform", TimedOut(recorded));

        Assert.Empty(result.Resent);
        Assert.Equal(recorded.ChildJobId, Assert.Single(result.Failed).ChildJobId);
    }
}
