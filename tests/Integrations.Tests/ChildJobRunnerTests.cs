using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using Jobs.TestSupport;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Synthetic;
using Jobs.Platforms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

public sealed class ChildJobRunnerTests(HostFixture host) : IClassFixture<HostFixture>
{
    private static readonly Uri SyntheticQueue = new("queue:integration-synthetic");

    private readonly RunningJobs _running = new();

    private ChildJobRunner Runner(IntegrationsOptions options, params IIntegration[] integrations) =>
        new(new IntegrationRegistry(integrations, Options.Create(options)), _running, host.Redis, host.Postgres, Options.Create(options),
            NullLogger<ChildJobRunner>.Instance);

    [Fact]
    public async Task When_the_root_job_is_cancelled_Should_stop_its_running_child_and_report_it_cancelled()
    {
        var root = Guid.NewGuid();
        var job = new ChildJob(JobIds.Child(JobIds.Entry(root), 0), JobIds.Entry(root), root, 1, SyntheticIntegration.Child,
            SyntheticSettings("""{"work_ms": 600000}"""));
        var run = SyntheticRunner().ExecuteAsync(root, "synthetic", job, CancellationToken.None);
        await Eventually.Until(() => Task.FromResult(_running.Cancel(root)), cancelled => cancelled, TimeSpan.FromSeconds(10), "the child running");

        var outcome = (await run.WaitAsync(TimeSpan.FromSeconds(10))).Outcome;

        Assert.False(outcome.Succeeded);
        Assert.Equal("cancelled while running", outcome.Error);

        // A child of the cancelled root that starts afterwards does not run at all.
        var later = job with { ChildJobId = JobIds.Child(JobIds.Entry(root), 1) };
        var next = (await SyntheticRunner().ExecuteAsync(root, "synthetic", later, CancellationToken.None)).Outcome;
        Assert.Equal((false, "cancelled before it started", 0), (next.Succeeded, next.Error, next.Attempts));
    }

    [Fact]
    public async Task When_a_run_loses_its_database_session_to_a_restart_Should_run_it_again_and_succeed_without_using_an_attempt()
    {
        var root = Guid.NewGuid();
        var integration = new TerminatedOnceIntegration();
        var job = new ChildJob(JobIds.Child(JobIds.Entry(root), 0), JobIds.Entry(root), root, 1, "write", default);

        var outcome = (await Runner(new IntegrationsOptions { MaxAttempts = 1 }, integration)
            .ExecuteAsync(root, TerminatedOnceIntegration.Platform, job, CancellationToken.None)).Outcome;

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(2, integration.Runs);
    }

    [Fact]
    public void A_store_outage_is_a_terminated_session_or_an_unreachable_redis_and_not_an_outside_servers_error()
    {
        Assert.True(Jobs.ServiceDefaults.TransientFaults.IsStoreOutage(new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")));
        Assert.True(Jobs.ServiceDefaults.TransientFaults.IsStoreOutage(new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.SocketFailure, "down")));
        Assert.False(Jobs.ServiceDefaults.TransientFaults.IsStoreOutage(new HttpRequestException("refused", new System.Net.Sockets.SocketException(111))));
        Assert.False(Jobs.ServiceDefaults.TransientFaults.IsStoreOutage(new Npgsql.PostgresException("duplicate key", "ERROR", "ERROR", "23505")));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 5)]
    public async Task Children_get_a_span_of_their_own_only_for_the_share_Tracing_ChildSpanRatio_asks_for(double ratio, int expected)
    {
        var root = Guid.NewGuid();
        var spans = new System.Collections.Concurrent.ConcurrentBag<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Jobs.ServiceDefaults.JobTracing.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.GetTagItem(Jobs.ServiceDefaults.JobTracing.RootJobId) as string == root.ToString()) spans.Add(a);
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var options = new IntegrationsOptions();
        var runner = new ChildJobRunner(new IntegrationRegistry([new SyntheticIntegration()], Options.Create(options)), _running, host.Redis, host.Postgres,
            Options.Create(options), NullLogger<ChildJobRunner>.Instance, tracing: Options.Create(new Jobs.ServiceDefaults.TracingOptions { ChildSpanRatio = ratio }));

        for (var i = 0; i < 5; i++)
        {
            var job = new ChildJob(JobIds.Child(JobIds.Entry(root), i), JobIds.Entry(root), root, 1, SyntheticIntegration.Child, SyntheticSettings("{}"));
            Assert.True((await runner.ExecuteAsync(root, "synthetic", job, CancellationToken.None)).Outcome.Succeeded);
        }

        Assert.Equal(expected, spans.Count(s => s.DisplayName == "child " + SyntheticIntegration.Child));
    }

    private ChildJobRunner SyntheticRunner() => Runner(new IntegrationsOptions(), new SyntheticIntegration());

    private static JsonElement SyntheticSettings(string json)
    {
        var result = SettingsValidator.Validate(SettingsSchema.For<SyntheticSettings>(), JsonDocument.Parse(json).RootElement);
        Assert.True(result.IsValid);
        return result.Settings;
    }

    private static ChildJob Entry(Guid root, JsonElement settings) =>
        new(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, settings);

    [Fact]
    public void An_integration_whose_name_is_not_lower_case_letters_digits_and_hyphens_is_refused_naming_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new IntegrationRegistry([new SyntheticIntegration(), new DottedNameIntegration()], Options.Create(new IntegrationsOptions())));

        Assert.Contains("shop.interactive", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("synthetic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_that_fans_out_10_000_children_sends_100_batches_more_than_are_in_flight_at_once_each_child_once_in_order()
    {
        var root = Guid.NewGuid();
        var entry = Entry(root, SyntheticSettings("""{"children": 10000}"""));
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", entry, sender, CancellationToken.None);

        Assert.Equal(10_000, outcome.Spawned);
        var batches = sender.SentOf<RunChildJobs>();
        Assert.True(batches.Count > ChildJobRunner.SendsInFlight);
        Assert.Equal(100, batches.Count);
        Assert.All(batches, b => Assert.Equal(JobLimits.MaxChildrenPerMessage, b.Children.Count));
        var ids = batches.SelectMany(b => b.Children).Select(c => c.ChildJobId).ToList();
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => JobIds.Child(entry.ChildJobId, i)), ids);
    }

    [Fact]
    public async Task When_the_entry_fans_out_250_children_Should_send_them_in_batches_of_100_100_50_grouped_under_the_root()
    {
        var root = Guid.NewGuid();
        var entry = Entry(root, SyntheticSettings("""{"children": 250}"""));
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", entry, sender, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Null(outcome.Error);
        Assert.Equal(250, outcome.Spawned);
        Assert.Null(outcome.Continuation);
        Assert.Equal(1, outcome.Attempts);
        Assert.Equal((entry.ChildJobId, root, root, 0, IntegrationTasks.Entry),
            (outcome.ChildJobId, outcome.ParentJobId, outcome.GroupId, outcome.Generation, outcome.Task));
        Assert.True(outcome.FinishedAt >= outcome.StartedAt);

        Assert.All(sender.Sent, s => Assert.Equal(SyntheticQueue, s.Address));
        var batches = sender.SentOf<RunChildJobs>()
            .OrderBy(b => Enumerable.Range(0, 250).First(i => b.Children[0].ChildJobId == JobIds.Child(entry.ChildJobId, i)))
            .ToList();
        Assert.Equal(3, sender.Sent.Count);
        Assert.Equal([100, 100, 50], batches.Select(b => b.Children.Count));
        Assert.All(batches, b => Assert.Equal((root, "synthetic"), (b.RootJobId, b.Platform)));
        var children = batches.SelectMany(b => b.Children).ToList();
        Assert.Equal(Enumerable.Range(0, 250).Select(i => JobIds.Child(entry.ChildJobId, i)), children.Select(c => c.ChildJobId));
        Assert.All(children, c =>
        {
            Assert.Equal(entry.ChildJobId, c.ParentJobId);
            Assert.Equal(root, c.GroupId);
            Assert.Equal(1, c.Generation);
            Assert.Equal(SyntheticIntegration.Child, c.Task);
            Assert.Equal(entry.Settings.GetRawText(), c.Settings.GetRawText());
        });
    }

    [Fact]
    public async Task When_the_entry_asks_for_a_continuation_Should_group_its_children_under_the_entry_and_return_the_summary_task()
    {
        var root = Guid.NewGuid();
        var entry = Entry(root, SyntheticSettings("""{"children": 5, "continuation": true}"""));
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", entry, sender, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(5, outcome.Spawned);
        Assert.NotNull(outcome.Continuation);
        Assert.Equal(SyntheticIntegration.Summary, outcome.Continuation.Task);
        Assert.Equal(entry.Settings.GetRawText(), outcome.Continuation.Settings.GetRawText());
        var batch = Assert.Single(sender.SentOf<RunChildJobs>());
        Assert.Equal(5, batch.Children.Count);
        Assert.All(batch.Children, c => Assert.Equal(entry.ChildJobId, c.GroupId));
        Assert.All(batch.Children, c => Assert.Equal(entry.ChildJobId, c.ParentJobId));
    }

    [Fact]
    public async Task When_a_batch_spawns_no_more_than_the_inline_budget_Should_run_every_descendant_in_the_same_delivery()
    {
        var root = Guid.NewGuid();
        var entry = Entry(root, SyntheticSettings("""{"children": 2, "grandchildren": 1}"""));

        // Budget 4: the entry's 2 children run inline (2 left), then their 2 grandchildren (0 left), which spawn nothing.
        var run = await Runner(new IntegrationsOptions { InlineChildren = 4 }, new SyntheticIntegration())
            .RunBatchAsync(new RunChildJobs(root, "synthetic", [entry]), CancellationToken.None);

        Assert.Empty(run.Spawned);
        var (first, second) = (JobIds.Child(entry.ChildJobId, 0), JobIds.Child(entry.ChildJobId, 1));
        Assert.Equal([entry.ChildJobId, first, second, JobIds.Child(first, 0), JobIds.Child(second, 0)], run.Outcomes.Select(o => o.ChildJobId));
        Assert.Equal([0, 1, 1, 2, 2], run.Outcomes.Select(o => o.Generation));
        Assert.Equal([2, 1, 1, 0, 0], run.Outcomes.Select(o => o.Spawned));
        Assert.All(run.Outcomes, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal(run.Outcomes.Select(o => o.ChildJobId), run.Jobs.Select(j => j.ChildJobId));
        Assert.Equal([root, entry.ChildJobId, entry.ChildJobId, first, second], run.Outcomes.Select(o => o.ParentJobId));
    }

    [Fact]
    public async Task When_a_spawn_is_bigger_than_what_is_left_of_the_inline_budget_Should_return_it_to_be_sent()
    {
        var root = Guid.NewGuid();
        var entry = Entry(root, SyntheticSettings("""{"children": 3, "grandchildren": 1}"""));

        // Budget 4: 3 children inline (1 left); their 3 grandchildren are more than 1, so they go to the queue.
        var run = await Runner(new IntegrationsOptions { InlineChildren = 4 }, new SyntheticIntegration())
            .RunBatchAsync(new RunChildJobs(root, "synthetic", [entry]), CancellationToken.None);

        Assert.Equal(4, run.Outcomes.Count);
        Assert.Equal(3, run.Spawned.Count);
        Assert.All(run.Spawned, m => Assert.Equal((root, "synthetic", 2), (m.RootJobId, m.Platform, Assert.Single(m.Children).Generation)));
        Assert.Equal(Enumerable.Range(0, 3).Select(i => JobIds.Child(JobIds.Child(entry.ChildJobId, i), 0)).Order(),
            run.Spawned.Select(m => m.Children[0].ChildJobId).Order());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(4, 5)]
    public async Task When_inline_runs_are_off_or_the_spawn_is_too_big_Should_run_only_the_delivered_children(int inlineChildren, int children)
    {
        var root = Guid.NewGuid();
        var entry = Entry(root, SyntheticSettings($$"""{"children": {{children}}}"""));

        var run = await Runner(new IntegrationsOptions { InlineChildren = inlineChildren }, new SyntheticIntegration())
            .RunBatchAsync(new RunChildJobs(root, "synthetic", [entry]), CancellationToken.None);

        Assert.Equal(entry.ChildJobId, Assert.Single(run.Outcomes).ChildJobId);
        Assert.Equal(children, Assert.Single(run.Spawned).Children.Count);
    }

    [Fact]
    public async Task When_a_child_spawns_grandchildren_Should_send_them_one_generation_deeper_in_the_same_group()
    {
        var root = Guid.NewGuid();
        var entryId = JobIds.Entry(root);
        var child = new ChildJob(JobIds.Child(entryId, 0), entryId, root, 1, SyntheticIntegration.Child,
            SyntheticSettings("""{"grandchildren": 2}"""));
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", child, sender, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(2, outcome.Spawned);
        var batch = Assert.Single(sender.SentOf<RunChildJobs>());
        Assert.Equal([JobIds.Child(child.ChildJobId, 0), JobIds.Child(child.ChildJobId, 1)], batch.Children.Select(c => c.ChildJobId));
        Assert.All(batch.Children, c => Assert.Equal((child.ChildJobId, root, 2, SyntheticIntegration.Grandchild),
            (c.ParentJobId, c.GroupId, c.Generation, c.Task)));
    }

    [Fact]
    public async Task When_the_entry_spawns_no_children_Should_succeed_and_send_nothing()
    {
        var root = Guid.NewGuid();
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", Entry(root, SyntheticSettings("""{"children": 0}""")), sender,
            CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(0, outcome.Spawned);
        Assert.Empty(sender.Sent);
    }

    [Fact]
    public async Task When_the_plugin_does_not_know_the_task_Should_fail_with_the_reason_and_send_nothing()
    {
        var root = Guid.NewGuid();
        var job = new ChildJob(JobIds.Child(root, 3), root, root, 1, "explode", SyntheticSettings("{}"));
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", job, sender, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Contains("synthetic has no task 'explode'", outcome.Error);
        Assert.Equal(0, outcome.Spawned);
        Assert.Equal(1, outcome.Attempts);
        Assert.Empty(sender.Sent);
    }

    [Fact]
    public async Task When_a_synthetic_child_is_chosen_to_fail_Should_fail_without_sending_its_grandchildren()
    {
        var root = Guid.NewGuid();
        var job = new ChildJob(JobIds.Child(root, 0), root, root, 1, SyntheticIntegration.Child,
            SyntheticSettings("""{"fail_ratio": 1, "grandchildren": 4}"""));
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "synthetic", job, sender, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.StartsWith(nameof(SyntheticFailureException), outcome.Error);
        Assert.Equal(0, outcome.Spawned);
        Assert.Empty(sender.Sent);
    }

    [Fact]
    public async Task When_a_plugin_fails_twice_and_three_attempts_are_allowed_Should_succeed_on_the_third_and_send_only_its_children()
    {
        var root = Guid.NewGuid();
        var flaky = new FlakyIntegration(failuresBeforeSuccess: 2);
        var job = new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, JsonDocument.Parse("{}").RootElement);
        var sender = new RecordingSendEndpointProvider();

        var outcome = await Runner(new IntegrationsOptions { MaxAttempts = 3 }, flaky)
            .RunAsync(root, FlakyIntegration.Platform, job, sender, CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(3, outcome.Attempts);
        Assert.Equal(3, flaky.RunsOf(job.ChildJobId));
        Assert.Equal(1, outcome.Spawned);
        var sent = Assert.Single(sender.SentOf<RunChildJobs>());
        Assert.Equal("from-attempt-3", Assert.Single(sent.Children).Task);
        Assert.Equal(new DataMeasurement("attempts", "flaky", 3), Assert.Single(outcome.Measurements!));
        Assert.Equal(IntegrationQueues.For(FlakyIntegration.Platform), Assert.Single(sender.Sent).Address);
    }

    [Fact]
    public async Task When_a_plugin_keeps_failing_past_max_attempts_Should_report_the_last_error_and_the_attempts()
    {
        var root = Guid.NewGuid();
        var flaky = new FlakyIntegration(failuresBeforeSuccess: 5);
        var job = new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, JsonDocument.Parse("{}").RootElement);
        var sender = new RecordingSendEndpointProvider();

        var outcome = await Runner(new IntegrationsOptions { MaxAttempts = 2 }, flaky)
            .RunAsync(root, FlakyIntegration.Platform, job, sender, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(2, flaky.RunsOf(job.ChildJobId));
        Assert.Equal("InvalidOperationException: flaky failure 2 of 5", outcome.Error);
        Assert.Empty(sender.Sent);
        Assert.Null(outcome.Measurements);
    }

    [Fact]
    public async Task When_max_attempts_is_not_positive_Should_still_run_once()
    {
        var root = Guid.NewGuid();
        var flaky = new FlakyIntegration(failuresBeforeSuccess: 0);
        var job = new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, JsonDocument.Parse("{}").RootElement);

        var outcome = await Runner(new IntegrationsOptions { MaxAttempts = 0 }, flaky)
            .RunAsync(root, FlakyIntegration.Platform, job, new RecordingSendEndpointProvider(), CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(1, outcome.Attempts);
    }

    [Fact]
    public async Task When_the_platform_is_not_hosted_Should_fail_naming_the_platform_without_running_anything()
    {
        var root = Guid.NewGuid();
        var sender = new RecordingSendEndpointProvider();

        var outcome = await SyntheticRunner().RunAsync(root, "nowhere", Entry(root, SyntheticSettings("{}")), sender, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Contains("'nowhere'", outcome.Error);
        Assert.Equal(0, outcome.Attempts);
        Assert.Empty(sender.Sent);
    }

    [Fact]
    public async Task When_a_built_in_platform_is_not_enabled_Should_treat_it_as_not_hosted()
    {
        var root = Guid.NewGuid();
        var flaky = new FlakyIntegration(failuresBeforeSuccess: 0);
        var runner = Runner(new IntegrationsOptions { Enabled = ["synthetic"] }, new SyntheticIntegration(), flaky);
        var job = new ChildJob(JobIds.Entry(root), root, root, 0, IntegrationTasks.Entry, JsonDocument.Parse("{}").RootElement);

        var outcome = await runner.RunAsync(root, FlakyIntegration.Platform, job, new RecordingSendEndpointProvider(), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Contains("'flaky'", outcome.Error);
        Assert.Equal(0, flaky.RunsOf(job.ChildJobId));
    }

    [Fact]
    public void When_enabled_names_an_unknown_platform_Should_refuse_to_build_the_registry()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new IntegrationRegistry([new SyntheticIntegration()], Options.Create(new IntegrationsOptions { Enabled = ["bogus"] })));

        Assert.Contains("bogus", error.Message);
    }

    [Fact]
    public async Task When_the_job_is_cancelled_during_work_Should_propagate_the_cancellation()
    {
        var root = Guid.NewGuid();
        var job = new ChildJob(JobIds.Child(root, 0), root, root, 1, SyntheticIntegration.Child,
            SyntheticSettings("""{"work_ms": 3600000}"""));
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SyntheticRunner().RunAsync(root, "synthetic", job, new RecordingSendEndpointProvider(), cancellation.Token));
    }

    [Fact]
    public async Task When_a_plugin_uses_the_stores_Should_reach_the_real_redis_and_postgres()
    {
        var root = Guid.NewGuid();
        var probe = new ProbeIntegration();
        var job = new ChildJob(JobIds.Child(root, 0), root, root, 1, "probe", JsonDocument.Parse("{}").RootElement);
        var progressKey = RunKeys.ProgressKey(root);
        try
        {
            var outcome = await Runner(new IntegrationsOptions(), probe)
                .RunAsync(root, ProbeIntegration.Platform, job, new RecordingSendEndpointProvider(), CancellationToken.None);

            Assert.True(outcome.Succeeded, outcome.Error);
            Assert.Equal(host.DatabaseName, probe.DatabaseSeen[job.ChildJobId]);
            var progress = await host.Redis.GetDatabase().HashGetAsync(progressKey, job.ChildJobId.ToString("N"));
            Assert.False(progress.IsNullOrEmpty);
            using var json = JsonDocument.Parse(progress.ToString());
            Assert.Equal(50, json.RootElement.GetProperty("percent").GetDouble());
            Assert.Equal("halfway", json.RootElement.GetProperty("message").GetString());
        }
        finally
        {
            await host.Redis.GetDatabase().KeyDeleteAsync(progressKey);
        }
    }
}
