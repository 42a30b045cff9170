using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.JobTree;
using Jobs.TestSupport;

namespace Jobs.Integrator.Tests;

/// <summary>What the Integrator's job metrics are computed from: the ledger's first-time counts and the index of running roots.</summary>
public sealed class JobMetricsLedgerTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly JobLedger _ledger = new(fixture.Redis);
    private readonly RunningRoots _running = new(fixture.Redis);

    private static ChildJobOutcome Outcome(Guid id, Guid parent, int generation, bool ok = true, int spawned = 0) =>
        new(id, parent, parent, generation, "task", ok, ok ? null : "boom", spawned, null, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_redelivered_batch_of_outcomes_is_counted_for_the_metrics_once()
    {
        var root = Guid.NewGuid();
        await _ledger.StartAsync(root, "synthetic", null, DateTimeOffset.UtcNow);
        var entry = JobIds.Entry(root);
        var entryBatch = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, 0, spawned: 3)]);
        var batch = Guid.NewGuid();
        var children = new[] { Outcome(JobIds.Child(entry, 0), entry, 1), Outcome(JobIds.Child(entry, 1), entry, 1, ok: false) };

        var first = await _ledger.RecordAsync(root, batch, children);
        var redelivered = await _ledger.RecordAsync(root, batch, children);
        var again = await _ledger.RecordAsync(root, Guid.NewGuid(), [children[0], Outcome(JobIds.Child(entry, 2), entry, 1)]);

        Assert.Equal((0L, 0L), (entryBatch.CountedSucceeded, entryBatch.CountedFailed)); // the entry run is not a child
        Assert.Equal((1L, 1L), (first.CountedSucceeded, first.CountedFailed));
        Assert.Equal((0L, 0L), (redelivered.CountedSucceeded, redelivered.CountedFailed));
        Assert.Equal((1L, 0L), (again.CountedSucceeded, again.CountedFailed)); // only the child not counted before
        await _ledger.SetStatusAsync(root, JobStatus.Completed, DateTimeOffset.UtcNow, null);
    }

    [Fact]
    public async Task A_running_root_is_listed_with_its_outstanding_children_until_its_final_status_which_is_reported_first_once()
    {
        var root = Guid.NewGuid();
        var startedAt = DateTimeOffset.UtcNow.AddMinutes(-10);
        await _ledger.StartAsync(root, "catalogue", null, startedAt);
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, 0, spawned: 4)]);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(JobIds.Child(entry, 0), entry, 1)]);

        var listed = await Eventually.Until(async () => (await _running.ListAsync()).SingleOrDefault(r => r.RootJobId == root),
            r => r is not null && r.LastProgressAt > startedAt.AddMinutes(5), TimeSpan.FromSeconds(5), "the root's counted outcome to move its progress time");
        var firstEnd = await _ledger.SetStatusAsync(root, JobStatus.Failed, DateTimeOffset.UtcNow, "boom");
        var secondEnd = await _ledger.SetStatusAsync(root, JobStatus.Failed, DateTimeOffset.UtcNow, "boom");
        var after = await _running.ListAsync();

        Assert.Equal(("catalogue", 3L), (listed!.Platform, listed.Outstanding));
        Assert.Equal((true, false), (firstEnd, secondEnd));
        Assert.DoesNotContain(after, r => r.RootJobId == root);
    }

    [Fact]
    public void The_gauges_give_every_known_platform_a_value_and_the_longest_idle_time_of_its_running_roots()
    {
        var now = DateTimeOffset.UtcNow;
        var running = new[]
        {
            new RunningRoot(Guid.NewGuid(), "gauge-test-movies", 5, now.AddSeconds(-100)),
            new RunningRoot(Guid.NewGuid(), "gauge-test-movies", 2, now.AddSeconds(-30)),
        };

        JobMetrics.SetGauges(running, ["gauge-test-movies", "gauge-test-reddit"], now);

        Assert.Equal((2.0, 7.0, 100.0), (JobMetrics.RootsRunning.WithLabels("gauge-test-movies").Value,
            JobMetrics.ChildrenOutstanding.WithLabels("gauge-test-movies").Value, JobMetrics.MaxIdle.WithLabels("gauge-test-movies").Value));
        Assert.Equal((0.0, 0.0, 0.0), (JobMetrics.RootsRunning.WithLabels("gauge-test-reddit").Value,
            JobMetrics.ChildrenOutstanding.WithLabels("gauge-test-reddit").Value, JobMetrics.MaxIdle.WithLabels("gauge-test-reddit").Value));

        JobMetrics.SetGauges([], ["gauge-test-reddit"], now);

        Assert.Equal(0.0, JobMetrics.RootsRunning.WithLabels("gauge-test-movies").Value); // a platform seen before drops to 0, not stale
    }
}
