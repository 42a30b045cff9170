using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.Integrator.RootJobs;
using Jobs.Platforms;
using MassTransit;
using MassTransit.Saga;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Jobs.Integrator.Tests;

/// <summary>
/// The RootJob saga and the ledger consumer in MassTransit's in-memory harness, with the real Redis
/// repository and ledger. The test plays the integration by answering RunChildJobs with outcomes.
/// </summary>
public sealed class RootJobStateMachineSpecs(RedisFixture fixture) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private static readonly JsonElement Settings = JsonSerializer.SerializeToElement(new { children = 2 });
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(fixture.Redis)
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddIntegratorComponents()
            .AddMassTransitTestHarness(IntegratorServices.AddIntegratorConsumers)
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        _harness.TestTimeout = TimeSpan.FromSeconds(20);
        _harness.TestInactivityTimeout = TimeSpan.FromSeconds(1);
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        // The catalog is shared with whatever else uses this Redis: take the specs' platform out again.
        await fixture.Redis.GetDatabase().HashDeleteAsync(PlatformCatalog.Key, "spec-platform");
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    private async Task<Guid> StartAsync(double minSuccessPercent = 0, string platform = "synthetic", JsonElement? settings = null)
    {
        var root = Guid.NewGuid();
        await _harness.Bus.Publish(new BeginRootJob(root, platform, settings ?? Settings, null, minSuccessPercent, DateTimeOffset.UtcNow));
        await WaitForStateAsync(root, JobStatus.Running);
        await SentAsync<RunChildJobs>(m => m.Context.Message.RootJobId == root);
        return root;
    }

    private static JsonElement WithHooks(string phase, params string[] names) => JsonSerializer.SerializeToElement(new Dictionary<string, object>
    {
        ["children"] = 2,
        ["hooks"] = new Dictionary<string, object> { [phase] = names.Select(n => new { name = n, settings = new { minutes = 5 } }).ToArray() },
    });

    private static JobHookOutcome Hook(int index, string name, string status, string? error = null) =>
        new(index, name, status, error, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    /// <summary>A root whose settings list pre hooks: they are sent to its platform's queue, its entry run is not (yet).</summary>
    private async Task<Guid> StartWithPreHooksAsync(params string[] names)
    {
        var root = Guid.NewGuid();
        await _harness.Bus.Publish(new BeginRootJob(root, "synthetic", WithHooks(JobHooks.Pre, names), null, 0, DateTimeOffset.UtcNow));
        await WaitForStateAsync(root, "PreHooks");
        var sent = (await SentAsync<RunJobHooks>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal(JobHooks.Pre, sent.Phase);
        Assert.Equal(names, sent.Hooks.Select(h => h.Name));
        Assert.Null(sent.Outcome);
        return root;
    }

    /// <summary>A platform like movies: <c>load</c> is required.</summary>
    private const string RequiredPlatform = "spec-required";

    private Task PublishRequiredPlatformAsync() =>
        new PlatformCatalog(fixture.Redis).PublishAsync([new PlatformDescriptor(RequiredPlatform, "Spec", "for specs", [], RequiredTasks: ["load"])]);

    private async Task<RootJobState?> LoadAsync(Guid root) =>
        await _provider.GetRequiredService<ILoadSagaRepository<RootJobState>>().Load(root);

    /// <summary>
    /// The first published <typeparamref name="T"/> that <paramref name="filter"/> admits, waited for (not the harness's inactivity:
    /// a saga publishes its end after it stored it, and on a busy machine the bus may look idle in between).
    /// </summary>
    private async Task<IPublishedMessage<T>> PublishedAsync<T>(FilterDelegate<IPublishedMessage<T>> filter) where T : class =>
        (await TestSupport.Eventually.Until(() => Task.FromResult(_harness.Published.Select(filter).FirstOrDefault()), m => m is not null,
            TimeSpan.FromSeconds(20), $"a published {typeof(T).Name}"))!;

    /// <summary>The first sent <typeparamref name="T"/> that <paramref name="filter"/> admits, waited for as <see cref="PublishedAsync{T}"/>.</summary>
    private async Task<ISentMessage<T>> SentAsync<T>(FilterDelegate<ISentMessage<T>> filter) where T : class =>
        (await TestSupport.Eventually.Until(() => Task.FromResult(_harness.Sent.Select(filter).FirstOrDefault()), m => m is not null,
            TimeSpan.FromSeconds(20), $"a sent {typeof(T).Name}"))!;

    private async Task<RootJobState> WaitForStateAsync(Guid root, string state) =>
        (await TestSupport.Eventually.Until(() => LoadAsync(root), s => s?.CurrentState == state, TimeSpan.FromSeconds(20), $"saga {root} {state}"))!;

    private static ChildJobOutcome Outcome(Guid id, Guid parent, Guid group, int generation, bool ok = true, int spawned = 0, string? task = null,
        ContinuationJob? continuation = null) =>
        new(id, parent, group, generation, task ?? (generation == 0 ? "entry" : "child"), ok, ok ? null : "failed on purpose", spawned, continuation, 1,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    [Fact]
    public async Task When_a_required_task_fails_Should_fail_the_root_at_once_with_that_tasks_error()
    {
        await PublishRequiredPlatformAsync();
        var root = await StartAsync(platform: RequiredPlatform);
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(entry, root, root, 0, spawned: 3)]));
        // The load fails while the other two children are still running.
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(JobIds.Child(entry, 0), entry, root, 1, ok: false, task: "load")]));

        var state = await WaitForStateAsync(root, JobStatus.Failed);
        Assert.Equal("required task 'load' failed: failed on purpose", state.Reason);
        var failed = (await PublishedAsync<RootJobFailed>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal("required task 'load' failed: failed on purpose", failed.Reason);
        var view = await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), [RootJobKeys.Status, RootJobKeys.Error, RootJobKeys.Failure]);
        Assert.Equal([JobStatus.Failed, failed.Reason, failed.Reason], view.Select(v => v.ToString()));

        // The others report later (not started): counted in the live view, and the root stays Failed.
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform,
            [Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false), Outcome(JobIds.Child(entry, 2), entry, root, 1)]));
        // Waited for by its effect, not the harness's 1 s of inactivity (which a loaded machine can exceed between two messages).
        var counts = await TestSupport.Eventually.Until(
            async () => (await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), [RootJobKeys.Total, RootJobKeys.Completed, RootJobKeys.Failed]))
                .Select(c => c.ToString()).ToArray(),
            c => c.SequenceEqual(["3", "1", "2"]), TimeSpan.FromSeconds(20), "the late outcomes counted");
        Assert.Equal(["3", "1", "2"], counts);
        Assert.True(await _harness.Consumed.Any<RootJobChildrenFinished>(m => m.Context.Message.RootJobId == root));
        Assert.Equal(JobStatus.Failed, (await LoadAsync(root))!.CurrentState);
        Assert.Single(_harness.Published.Select<RootJobFailed>(m => m.Context.Message.RootJobId == root));
        Assert.False(await _harness.Published.Any<RootJobCompleted>(m => m.Context.Message.RootJobId == root));
    }

    [Fact]
    public async Task When_a_task_that_is_not_required_fails_Should_let_the_others_finish_and_end_CompletedWithFailures()
    {
        await PublishRequiredPlatformAsync();
        var root = await StartAsync(platform: RequiredPlatform);
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(entry, root, root, 0, spawned: 2)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(JobIds.Child(entry, 0), entry, root, 1, ok: false, task: "download")]));
        await _harness.InactivityTask;
        Assert.Equal(JobStatus.Running, (await LoadAsync(root))!.CurrentState);

        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(JobIds.Child(entry, 1), entry, root, 1, task: "load")]));

        var state = await WaitForStateAsync(root, JobStatus.CompletedWithFailures);
        Assert.Equal((2L, 1L, 1L), (state.Total, state.Completed, state.Failed));
    }

    [Fact]
    public async Task When_a_required_task_has_failed_Should_not_start_the_continuation_that_waits_for_it_but_count_it_failed()
    {
        await PublishRequiredPlatformAsync();
        var root = await StartAsync(platform: RequiredPlatform);
        var entry = JobIds.Entry(root);
        var summary = new ContinuationJob("summary", Settings);
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(entry, root, root, 0, spawned: 2, continuation: summary)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(JobIds.Child(entry, 0), entry, entry, 1, ok: false, task: "load")]));
        await WaitForStateAsync(root, JobStatus.Failed);

        // The last child finishes its group: the continuation is due, but its root has failed.
        await _harness.Bus.Publish(new ChildJobsFinished(root, RequiredPlatform, [Outcome(JobIds.Child(entry, 1), entry, entry, 1)]));

        var continuation = JobIds.Continuation(entry);
        await PublishedAsync<ChildJobsClosed>(m =>
            m.Context.Message.Outcomes.Any(o => o.ChildJobId == continuation && !o.Succeeded && o.Error == FailurePolicy.NotStartedError));
        Assert.True(await _harness.Consumed.Any<RootJobChildrenFinished>(m => m.Context.Message.RootJobId == root));
        Assert.False(await _harness.Sent.Any<RunChildJobs>(m => m.Context.Message.Children.Any(c => c.ChildJobId == continuation)));
        var counts = await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), [RootJobKeys.Total, RootJobKeys.Completed, RootJobKeys.Failed]);
        Assert.Equal(["3", "1", "2"], counts.Select(c => c.ToString()));
        Assert.Equal(JobStatus.Failed, (await LoadAsync(root))!.CurrentState);
    }

    [Fact]
    public async Task When_a_child_fails_under_fail_fast_Should_fail_the_root_at_once_and_mark_it_failing_for_the_queued_children()
    {
        var root = await StartAsync(settings: JsonSerializer.SerializeToElement(new { children = 3, failure_policy = "fail_fast" }));
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(entry, root, root, 0, spawned: 3)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Child(entry, 0), entry, root, 1)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false)]));

        var state = await WaitForStateAsync(root, JobStatus.Failed);
        Assert.Equal("task 'child' failed (failure policy fail_fast): failed on purpose", state.Reason);
        var step = (await PublishedAsync<RootJobStepFailed>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal((JobIds.Child(entry, 1), "child", 3L, 1L, 1L), (step.ChildJobId, step.Task, step.Total, step.Completed, step.Failed));
        // What the Integrations read before starting a batch: the root is failing, so the third child is not started.
        Assert.Equal(state.Reason, (await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), RootJobKeys.Failure)).ToString());
    }

    [Fact]
    public async Task When_a_root_job_starts_Should_send_its_entry_run_to_the_platform_interactive_queue()
    {
        var root = await StartAsync();

        var sent = (await SentAsync<RunChildJobs>(m => m.Context.Message.RootJobId == root)).Context;
        Assert.Equal("integration-synthetic.interactive", sent.DestinationAddress!.AbsolutePath.Trim('/'));
        var entry = Assert.Single(sent.Message.Children);
        Assert.Equal((JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry), (entry.ChildJobId, entry.ParentJobId, entry.GroupId, entry.Generation, entry.Task));
        Assert.Equal("Running", (await WaitForStateAsync(root, "Running")).CurrentState);
    }

    [Fact]
    public async Task When_every_child_succeeds_Should_complete_with_exact_counts_and_publish_RootJobCompleted()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(entry, root, root, 0, spawned: 2)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic",
            [Outcome(JobIds.Child(entry, 0), entry, root, 1), Outcome(JobIds.Child(entry, 1), entry, root, 1)]));

        var state = await WaitForStateAsync(root, "Completed");
        Assert.Equal((2L, 2L, 0L), (state.Total, state.Completed, state.Failed));
        await PublishedAsync<RootJobCompleted>(m =>
            m.Context.Message.RootJobId == root && m.Context.Message.Total == 2 && m.Context.Message.Status == JobStatus.Completed);
        var view = await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), RootJobKeys.Status);
        Assert.Equal("Completed", view.ToString());
    }

    [Fact]
    public async Task When_some_children_fail_under_the_continue_policy_Should_end_CompletedWithFailures_with_the_counts_never_Completed()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(entry, root, root, 0, spawned: 2)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic",
            [Outcome(JobIds.Child(entry, 0), entry, root, 1), Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false)]));

        var state = await WaitForStateAsync(root, JobStatus.CompletedWithFailures);
        Assert.Equal((2L, 1L, 1L), (state.Total, state.Completed, state.Failed));
        var completed = (await PublishedAsync<RootJobCompleted>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal((JobStatus.CompletedWithFailures, 2L, 1L, 1L), (completed.Status, completed.Total, completed.Completed, completed.Failed));
        var view = await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), [RootJobKeys.Status, RootJobKeys.Total, RootJobKeys.Completed, RootJobKeys.Failed]);
        Assert.Equal([JobStatus.CompletedWithFailures, "2", "1", "1"], view.Select(v => v.ToString()));
        Assert.True(JobStatus.HasEnded(view[0]));
    }

    [Fact]
    public async Task When_the_same_completion_message_is_delivered_twice_Should_change_nothing()
    {
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(entry, root, root, 0, spawned: 2)]));
        var messageId = NewId.NextGuid();
        var first = new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Child(entry, 0), entry, root, 1)]);
        await _harness.Bus.Publish(first, c => c.MessageId = messageId);
        await _harness.Bus.Publish(first, c => c.MessageId = messageId);
        Assert.True(await _harness.Consumed.Any<ChildJobsFinished>(m => m.Context.MessageId == messageId));
        await _harness.InactivityTask;

        var counts = await fixture.Redis.GetDatabase().HashGetAsync(RootJobKeys.Key(root), [RootJobKeys.Total, RootJobKeys.Completed, RootJobKeys.Failed]);
        Assert.Equal(["2", "1", "0"], counts.Select(c => c.ToString()));
        Assert.Equal("Running", (await LoadAsync(root))!.CurrentState);

        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Child(entry, 1), entry, root, 1)]));
        var state = await WaitForStateAsync(root, "Completed");
        Assert.Equal((2L, 2L, 0L), (state.Total, state.Completed, state.Failed));
    }

    [Fact]
    public async Task When_hundreds_of_completions_arrive_at_once_Should_count_each_exactly_once()
    {
        const int children = 300;
        var root = await StartAsync();
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(entry, root, root, 0, spawned: children)]));
        await Task.WhenAll(Enumerable.Range(0, children).Select(i =>
            _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Child(entry, i), entry, root, 1, ok: i % 10 != 0)]))));

        var state = await WaitForStateAsync(root, JobStatus.CompletedWithFailures);
        Assert.Equal(((long)children, 270L, 30L), (state.Total, state.Completed, state.Failed));
        Assert.Single(_harness.Published.Select<RootJobCompleted>(m => m.Context.Message.RootJobId == root));
    }

    [Fact]
    public async Task When_the_entry_run_fails_Should_fail_the_root_with_its_error()
    {
        var root = await StartAsync();
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Entry(root), root, root, 0, ok: false)]));

        var state = await WaitForStateAsync(root, "Failed");
        Assert.Contains("failed on purpose", state.Reason);
        await PublishedAsync<RootJobFailed>(m => m.Context.Message.RootJobId == root);
    }

    [Fact]
    public async Task When_fewer_children_succeed_than_required_Should_fail_the_root()
    {
        var root = await StartAsync(minSuccessPercent: 75);
        var entry = JobIds.Entry(root);
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(entry, root, root, 0, spawned: 2)]));
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic",
            [Outcome(JobIds.Child(entry, 0), entry, root, 1), Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false)]));

        var state = await WaitForStateAsync(root, "Failed");
        Assert.Contains("1 of 2 children succeeded", state.Reason);
    }

    [Fact]
    public async Task When_a_running_job_is_cancelled_Should_end_cancelled_and_ignore_later_outcomes()
    {
        var root = await StartAsync();
        await WaitForStateAsync(root, "Running");
        await _harness.Bus.Publish(new CancelRootJob(root, "operator asked"));
        await WaitForStateAsync(root, "Cancelled");
        await _harness.Bus.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(JobIds.Entry(root), root, root, 0)]));
        Assert.True(await _harness.Consumed.Any<RootJobChildrenFinished>(m => m.Context.Message.RootJobId == root));

        Assert.Equal("Cancelled", (await LoadAsync(root))!.CurrentState);
        await PublishedAsync<RootJobCancelled>(m => m.Context.Message.RootJobId == root);
        Assert.False(await _harness.Published.Any<RootJobCompleted>(m => m.Context.Message.RootJobId == root));
    }

    [Fact]
    public async Task When_a_start_request_names_an_unknown_platform_Should_fault_with_the_reason()
    {
        await new PlatformCatalog(fixture.Redis).PublishAsync([new PlatformDescriptor("spec-platform", "Spec", "for specs", [])]);
        var request = new StartRootJob { Platform = "no-such-platform", Settings = Settings };
        await _harness.Bus.Publish(request);

        await PublishedAsync<Fault<StartRootJob>>(m =>
            m.Context.Message.Exceptions.Any(e => e.Message.Contains("unknown platform 'no-such-platform'")));
        Assert.False(await _harness.Published.Any<RootJobStarted>(m => m.Context.Message.Platform == "no-such-platform"));
    }

    [Fact]
    public async Task When_a_start_request_asks_for_an_impossible_success_percent_Should_fault_with_the_reason_and_start_nothing()
    {
        await new PlatformCatalog(fixture.Redis).PublishAsync([new PlatformDescriptor("spec-platform", "Spec", "for specs", [])]);
        var root = Guid.NewGuid();
        await _harness.Bus.Publish(new StartRootJob { RootJobId = root, Platform = "spec-platform", Settings = Settings, MinSuccessPercent = 150 });

        await PublishedAsync<Fault<StartRootJob>>(m =>
            m.Context.Message.Exceptions.Any(e => e.Message.Contains("minSuccessPercent: must be between 0 and 100")));
        Assert.False(await _harness.Published.Any<RootJobStarted>(m => m.Context.Message.RootJobId == root));
        Assert.False(await fixture.Redis.GetDatabase().KeyExistsAsync(RootJobKeys.Key(root)));
    }

    [Fact]
    public async Task When_a_valid_start_request_arrives_Should_start_the_root_with_defaults_filled()
    {
        var schema = SettingsSchema.For<SpecSettings>();
        await new PlatformCatalog(fixture.Redis).PublishAsync([new PlatformDescriptor("spec-platform", "Spec", "for specs", schema)]);
        var root = Guid.NewGuid();
        await _harness.Bus.Publish(new StartRootJob { RootJobId = root, Platform = "spec-platform", Settings = JsonSerializer.SerializeToElement(new { size = 5 }) });

        var started = (await PublishedAsync<RootJobStarted>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal(5, started.Settings.GetProperty("size").GetInt32());
        Assert.Equal("x", started.Settings.GetProperty("name").GetString());
    }

    private sealed class SpecSettings
    {
        public int Size { get; set; } = 1;
        public string Name { get; set; } = "x";
    }

    [Fact]
    public void The_saga_instance_stays_small_whatever_the_number_of_children()
    {
        var state = new RootJobState { CorrelationId = Guid.NewGuid(), Platform = "synthetic", Settings = Settings, Total = 100_000, Completed = 99_999 };
        Assert.True(JsonSerializer.Serialize(state).Length < 600);
    }

    [Fact]
    public async Task Pre_hooks_run_before_the_entry_run_which_is_sent_once_they_all_passed()
    {
        var root = await StartWithPreHooksAsync("require-fresh", "webhook");
        Assert.False(await _harness.Sent.Any<RunChildJobs>(m => m.Context.Message.RootJobId == root));

        await _harness.Bus.Publish(new JobHooksFinished(root, "synthetic", JobHooks.Pre, [Hook(0, "require-fresh", "succeeded"), Hook(1, "webhook", "succeeded")]));

        await WaitForStateAsync(root, JobStatus.Running);
        await SentAsync<RunChildJobs>(m => m.Context.Message.RootJobId == root && m.Context.Message.Children[0].Task == "entry");
        var view = (await RootJobReader.GetAsync(fixture.Redis.GetDatabase(), root))!;
        Assert.Equal(["pre:0:require-fresh:succeeded", "pre:1:webhook:succeeded"], view.Hooks!.Select(h => $"{h.Phase}:{h.Index}:{h.Name}:{h.Status}"));
    }

    [Fact]
    public async Task A_failed_pre_hook_fails_the_root_with_no_child_and_a_skipping_one_completes_it_with_none()
    {
        var failed = await StartWithPreHooksAsync("webhook", "require-fresh");
        var skipped = await StartWithPreHooksAsync("require-fresh");

        await _harness.Bus.Publish(new JobHooksFinished(failed, "synthetic", JobHooks.Pre, [Hook(0, "webhook", "failed", "answered 500")]));
        await _harness.Bus.Publish(new JobHooksFinished(skipped, "synthetic", JobHooks.Pre, [Hook(0, "require-fresh", "skipped", "fresh enough")]));

        var state = await WaitForStateAsync(failed, JobStatus.Failed);
        Assert.Equal("pre hook 0 'webhook' failed: answered 500", state.Reason);
        var end = (await PublishedAsync<RootJobFailed>(m => m.Context.Message.RootJobId == failed)).Context.Message;
        Assert.Equal((0L, 0L, 0L), (end.Total, end.Completed, end.Failed));
        await WaitForStateAsync(skipped, JobStatus.Completed);
        await PublishedAsync<RootJobCompleted>(m => m.Context.Message.RootJobId == skipped && m.Context.Message.Total == 0);
        await _harness.InactivityTask;
        Assert.False(_harness.Sent.Select<RunChildJobs>(m => m.Context.Message.RootJobId == failed || m.Context.Message.RootJobId == skipped).Any());
    }

    [Fact]
    public async Task Post_hooks_run_with_the_final_counts_before_the_end_and_a_failed_one_marks_the_root_without_changing_its_status()
    {
        var root = Guid.NewGuid();
        await _harness.Bus.Publish(new BeginRootJob(root, "synthetic", WithHooks(JobHooks.Post, "webhook"), null, 0, DateTimeOffset.UtcNow));
        await WaitForStateAsync(root, JobStatus.Running);

        await _harness.Bus.Publish(new RootJobChildrenFinished(root, 3, 2, 1, null));

        await WaitForStateAsync(root, "PostHooks");
        var sent = (await SentAsync<RunJobHooks>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal((JobHooks.Post, JobStatus.CompletedWithFailures, 3L, 2L, 1L),
            (sent.Phase, sent.Outcome!.Status, sent.Outcome.Total, sent.Outcome.Completed, sent.Outcome.Failed));
        Assert.False(_harness.Published.Select<RootJobCompleted>(m => m.Context.Message.RootJobId == root).Any());

        await _harness.Bus.Publish(new JobHooksFinished(root, "synthetic", JobHooks.Post, [Hook(0, "webhook", "failed", "answered 503")]));

        var state = await WaitForStateAsync(root, JobStatus.CompletedWithFailures);
        Assert.Equal((3L, 2L, 1L, null), (state.Total, state.Completed, state.Failed, state.Reason));
        var end = (await PublishedAsync<RootJobCompleted>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal(("post hook 0 'webhook' failed: answered 503", JobStatus.CompletedWithFailures), (end.HookError, end.Status));
        var view = (await RootJobReader.GetAsync(fixture.Redis.GetDatabase(), root))!;
        Assert.Equal((JobStatus.CompletedWithFailures, "post hook 0 'webhook' failed: answered 503"), (view.Status, view.HookError));
    }
}
