using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;

namespace Jobs.Integrator.Tests;

public sealed class JobLedgerTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly JobLedger _ledger = new(fixture.Redis);

    private static ChildJobOutcome Outcome(Guid id, Guid parent, Guid group, int generation, bool ok = true, int spawned = 0,
        ContinuationJob? continuation = null) =>
        new(id, parent, group, generation, "task", ok, ok ? null : "boom", spawned, continuation, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private async Task<Guid> StartAsync()
    {
        var root = Guid.NewGuid();
        Assert.True(await _ledger.StartAsync(root, "synthetic", null, DateTimeOffset.UtcNow));
        return root;
    }

    [Fact]
    public async Task When_required_children_fail_Should_record_the_first_one_as_the_roots_failure_exactly_once()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 3)]);
        var (first, second, fine) = (JobIds.Child(entry, 0), JobIds.Child(entry, 1), JobIds.Child(entry, 2));
        var batch = Guid.NewGuid();

        var failing = await _ledger.RecordAsync(root, batch, [Outcome(first, entry, root, 1, ok: false)], _ => true);
        var replayed = await _ledger.RecordAsync(root, batch, [Outcome(first, entry, root, 1, ok: false)], _ => true);
        var later = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(second, entry, root, 1, ok: false), Outcome(fine, entry, root, 1)], _ => true);

        Assert.Equal((first, "required task 'task' failed: boom"), (failing.FailedBy, failing.Failure));
        Assert.Equal((first, failing.Failure), (replayed.FailedBy, replayed.Failure)); // a redelivery repeats what it decided
        Assert.Equal(((Guid?)null, failing.Failure, true), (later.FailedBy, later.Failure, later.RootFinished));
        Assert.Equal((3L, 1L, 2L), (later.Total, later.Completed, later.Failed));
    }

    [Fact]
    public async Task When_the_root_ends_with_a_required_tasks_failure_Should_not_read_it_back_as_the_entry_runs_error()
    {
        // The saga may end the root (writing its reason to the read model) while the batch that finished the tree is still
        // being counted: that batch must tell the saga "no entry error", not the reason it just wrote.
        var root = await StartAsync();
        await _ledger.SetStatusAsync(root, JobStatus.Failed, DateTimeOffset.UtcNow, "required task 'load' failed: boom", (3, 2, 1));
        Assert.Null((await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(Guid.NewGuid(), root, root, 1)])).EntryError);

        // The batch's result carries the entry's error, read in the same script, also when a redelivered batch is answered from its memo.
        await _ledger.RecordEntryErrorAsync(root, "bad settings");
        var batch = Guid.NewGuid();
        var child = Guid.NewGuid();
        Assert.Equal("bad settings", (await _ledger.RecordAsync(root, batch, [Outcome(child, root, root, 1)])).EntryError);
        Assert.Equal("bad settings", (await _ledger.RecordAsync(root, batch, [Outcome(child, root, root, 1)])).EntryError);
        Assert.Equal("required task 'load' failed: boom", (await RootJobReader.GetAsync(fixture.Redis.GetDatabase(), root))?.Error);
    }

    [Fact]
    public async Task When_a_child_fails_that_is_not_required_under_continue_Should_record_no_failure_of_the_root()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 1)]);

        var result = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(JobIds.Child(entry, 0), entry, root, 1, ok: false)], _ => false);

        Assert.Equal(((Guid?)null, (string?)null, 1L), (result.FailedBy, result.Failure, result.Failed));
    }

    [Fact]
    public async Task When_the_root_is_fail_fast_Should_record_its_first_failed_child_whatever_its_task()
    {
        var root = Guid.NewGuid();
        Assert.True(await _ledger.StartAsync(root, "synthetic", null, DateTimeOffset.UtcNow, FailurePolicy.FailFast));
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 2)]);

        var result = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(JobIds.Child(entry, 0), entry, root, 1, ok: false)]);

        Assert.Equal((JobIds.Child(entry, 0), "task 'task' failed (failure policy fail_fast): boom"), (result.FailedBy, result.Failure));
        Assert.False(result.RootFinished);
    }

    [Fact]
    public async Task When_children_stopped_by_the_roots_end_report_first_Should_not_make_them_the_reason_the_root_failed()
    {
        var root = Guid.NewGuid();
        Assert.True(await _ledger.StartAsync(root, "synthetic", null, DateTimeOffset.UtcNow, FailurePolicy.FailFast));
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 2)]);
        var stopped = Outcome(JobIds.Child(entry, 0), entry, root, 1, ok: false) with { Error = FailurePolicy.NotStartedError, StoppedByRoot = true };

        var first = await _ledger.RecordAsync(root, Guid.NewGuid(), [stopped], _ => true);
        var cause = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false)]);

        Assert.Equal(((Guid?)null, (string?)null, 1L), (first.FailedBy, first.Failure, first.Failed));
        Assert.Equal((JobIds.Child(entry, 1), "task 'task' failed (failure policy fail_fast): boom"), (cause.FailedBy, cause.Failure));
    }

    [Fact]
    public async Task When_the_entry_and_all_children_report_Should_finish_the_root_once_with_exact_counts()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);

        var first = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 3)]);
        Assert.False(first.RootFinished);
        Assert.Equal(3, first.Total);

        var children = Enumerable.Range(0, 3).Select(i => Outcome(JobIds.Child(entry, i), entry, root, 1, ok: i != 1)).ToList();
        var second = await _ledger.RecordAsync(root, Guid.NewGuid(), children.Take(2).ToList());
        Assert.False(second.RootFinished);
        var third = await _ledger.RecordAsync(root, Guid.NewGuid(), children.Skip(2).ToList());

        Assert.True(third.RootFinished);
        Assert.Equal((3, 2, 1), (third.Total, third.Completed, third.Failed));
    }

    [Fact]
    public async Task When_a_parent_and_the_children_it_ran_inline_report_in_one_batch_Should_finish_the_root_once()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        var child = JobIds.Child(entry, 0);
        var batch = new List<ChildJobOutcome>
        {
            Outcome(entry, root, root, 0, spawned: 2), Outcome(child, entry, root, 1, spawned: 1),
            Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false), Outcome(JobIds.Child(child, 0), child, root, 2),
        };

        var result = await _ledger.RecordAsync(root, Guid.NewGuid(), batch);
        // The same outcomes again (the delivery redone after a crash, published as a new message): nothing counts twice.
        var again = await _ledger.RecordAsync(root, Guid.NewGuid(), batch);

        Assert.True(result.RootFinished);
        Assert.Equal((3, 2, 1), (result.Total, result.Completed, result.Failed));
        Assert.False(again.RootFinished);
        Assert.Equal((3, 2, 1), (again.Total, again.Completed, again.Failed));
    }

    [Fact]
    public async Task When_the_same_batch_is_delivered_twice_Should_change_nothing_and_repeat_its_actions()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 1)]);
        var batch = Guid.NewGuid();
        var outcome = Outcome(JobIds.Child(entry, 0), entry, root, 1);

        var first = await _ledger.RecordAsync(root, batch, [outcome]);
        var again = await _ledger.RecordAsync(root, batch, [outcome]);

        Assert.True(first.RootFinished);
        Assert.True(again.RootFinished);
        Assert.Equal((1, 1, 0), (again.Total, again.Completed, again.Failed));
    }

    [Fact]
    public async Task When_an_outcome_repeats_in_a_new_message_Should_count_it_once_and_not_finish_the_root_again()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 1)]);
        var outcome = Outcome(JobIds.Child(entry, 0), entry, root, 1, ok: false);

        var first = await _ledger.RecordAsync(root, Guid.NewGuid(), [outcome]);
        var duplicate = await _ledger.RecordAsync(root, Guid.NewGuid(), [outcome, outcome]);

        Assert.True(first.RootFinished);
        Assert.False(duplicate.RootFinished);
        Assert.Equal((1, 0, 1), (duplicate.Total, duplicate.Completed, duplicate.Failed));
    }

    [Fact]
    public async Task When_children_report_before_their_parent_Should_not_finish_the_root_early()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        var child = JobIds.Child(entry, 0);
        var grandchild = JobIds.Child(child, 0);

        var early = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(grandchild, child, root, 2), Outcome(child, entry, root, 1, spawned: 1)]);
        Assert.False(early.RootFinished);

        var last = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 1)]);
        Assert.True(last.RootFinished);
        Assert.Equal((2, 2, 0), (last.Total, last.Completed, last.Failed));
    }

    [Fact]
    public async Task When_a_job_spawns_children_with_a_continuation_Should_release_it_once_after_every_descendant()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        var summary = new ContinuationJob("summary", JsonSerializer.SerializeToElement(new { }));
        var a = JobIds.Child(entry, 0);
        var b = JobIds.Child(entry, 1);
        var grandchild = JobIds.Child(a, 0);

        var r1 = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(entry, root, root, 0, spawned: 2, continuation: summary)]);
        var r2 = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(a, entry, entry, 1, spawned: 1), Outcome(b, entry, entry, 1)]);
        Assert.Empty(r1.Continuations);
        Assert.Empty(r2.Continuations);

        var r3 = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(grandchild, a, entry, 2)]);
        var due = Assert.Single(r3.Continuations);
        Assert.Equal((entry, root, 1, "summary"), (due.SpawnerJobId, due.Expected.GroupId, due.Expected.Generation, due.Job.Task));
        Assert.False(r3.RootFinished);

        var r4 = await _ledger.RecordAsync(root, Guid.NewGuid(), [Outcome(JobIds.Continuation(entry), entry, root, 1)]);
        Assert.Empty(r4.Continuations);
        Assert.True(r4.RootFinished);
        Assert.Equal((4, 4, 0), (r4.Total, r4.Completed, r4.Failed));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task When_outcomes_arrive_in_any_order_with_duplicates_Should_count_each_child_once(int seed)
    {
        var tree = new SimulatedTree(new Random(seed), Guid.NewGuid());
        Assert.True(await _ledger.StartAsync(tree.Root, "synthetic", null, DateTimeOffset.UtcNow));

        var rootFinished = 0;
        LedgerResult? last = null;
        while (tree.HasWork)
        {
            var batch = tree.NextBatch();
            var result = await _ledger.RecordAsync(tree.Root, Guid.NewGuid(), batch);
            if (result.RootFinished)
            {
                rootFinished++;
                Assert.True(tree.AllReported, "the root finished while children were still outstanding");
            }

            foreach (var due in result.Continuations) tree.Release(due);
            last = result;
        }

        Assert.Equal(1, rootFinished);
        Assert.Equal(tree.Nodes - 1, last!.Total);
        Assert.Equal(tree.Failures, last.Failed);
        Assert.Equal(tree.Nodes - 1 - tree.Failures, last.Completed);
        Assert.Equal(tree.ContinuationsSpawned, tree.ContinuationsReleased);
    }

    /// <summary>
    /// A random job tree run by a random scheduler: jobs run in any order once sent, outcomes are reported in
    /// random batches, some twice, children may report before their parents.
    /// </summary>
    private sealed class SimulatedTree
    {
        private readonly Random _random;
        private readonly List<ChildJob> _sent = [];
        private readonly List<ChildJobOutcome> _ready = [];
        private readonly List<ChildJobOutcome> _reported = [];
        private readonly JsonElement _empty = JsonSerializer.SerializeToElement(new { });

        public SimulatedTree(Random random, Guid root)
        {
            _random = random;
            Root = root;
            _sent.Add(TreeRules.Entry(root).Run("entry", _empty));
            Nodes = 1;
        }

        public Guid Root { get; }
        public int Nodes { get; private set; }
        public int Failures { get; private set; }
        public int ContinuationsSpawned { get; private set; }
        public int ContinuationsReleased { get; private set; }
        public bool HasWork => _sent.Count > 0 || _ready.Count > 0;
        public bool AllReported => !HasWork;

        public void Release(ContinuationDue due)
        {
            ContinuationsReleased++;
            _sent.Add(due.Expected.Run(due.Job.Task, _empty));
            Nodes++;
        }

        public List<ChildJobOutcome> NextBatch()
        {
            // Run a few sent jobs: each spawns children (sent at once) and has an outcome ready to report.
            for (var runs = _random.Next(0, 4); runs > 0 && _sent.Count > 0; runs--)
            {
                var job = Take(_sent);
                var spawned = job.Generation < 4 && Nodes < 400 ? _random.Next(0, 5) : 0;
                var withContinuation = spawned > 0 && _random.NextDouble() < 0.3 || (spawned == 0 && _random.NextDouble() < 0.05 && job.Generation < 3);
                var ok = job.Generation == 0 || _random.NextDouble() > 0.2;
                if (!ok) Failures++;
                // A failed job spawns nothing.
                if (!ok)
                {
                    spawned = 0;
                    withContinuation = false;
                }

                for (var i = 0; i < spawned; i++)
                    _sent.Add(TreeRules.Child(job.ChildJobId, job.GroupId, job.Generation, withContinuation, i, "child", _empty));
                Nodes += spawned;
                if (withContinuation) ContinuationsSpawned++;
                _ready.Add(new ChildJobOutcome(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation, job.Task, ok, ok ? null : "failed",
                    spawned, withContinuation ? new ContinuationJob("summary", _empty) : null, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
            }

            var batch = new List<ChildJobOutcome>();
            for (var n = _random.Next(1, 6); n > 0 && _ready.Count > 0; n--) batch.Add(Take(_ready));
            if (_reported.Count > 0 && _random.NextDouble() < 0.3) batch.Add(_reported[_random.Next(_reported.Count)]);
            _reported.AddRange(batch);
            return batch;
        }

        private T Take<T>(List<T> list)
        {
            var index = _random.Next(list.Count);
            var item = list[index];
            list[index] = list[^1];
            list.RemoveAt(list.Count - 1);
            return item;
        }
    }

    [Fact]
    public async Task When_a_final_status_is_written_Should_announce_the_root_on_the_ended_channel_and_not_for_running()
    {
        var announced = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var channel = StackExchange.Redis.RedisChannel.Literal(RootJobKeys.EndedChannel);
        var subscriber = fixture.Redis.GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, value) => announced.Enqueue(value.ToString()));
        try
        {
            var (running, completed, failed) = (await StartAsync(), await StartAsync(), await StartAsync());
            await _ledger.SetStatusAsync(running, JobStatus.Running, null, null);
            await _ledger.SetStatusAsync(completed, JobStatus.Completed, DateTimeOffset.UtcNow, null, (1, 1, 0));
            await _ledger.SetStatusAsync(failed, JobStatus.Failed, DateTimeOffset.UtcNow, "the job's entry run failed: boom", (1, 0, 0));

            // The channel is shared: other roots (other tests, other processes on this Redis) may end meanwhile.
            var ours = new[] { running, completed, failed }.Select(id => id.ToString("N")).ToHashSet();
            await Jobs.TestSupport.Eventually.Until(() => Task.FromResult(announced.Count(ours.Contains)), n => n >= 2, TimeSpan.FromSeconds(10), "two announcements");
            Assert.Equal(new[] { completed.ToString("N"), failed.ToString("N") }.Order(), announced.Where(ours.Contains).Order());
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }
}
