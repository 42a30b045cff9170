using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.TestSupport;

namespace Jobs.Auditor.Tests;

/// <summary>Secrets, per-generation completion times and the stuck-job sweeper.</summary>
public sealed class AuditTrailTests(AuditFixture audit) : IClassFixture<AuditFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private static readonly JsonElement NoSettings = JsonSerializer.SerializeToElement(new { });

    private static ChildJobOutcome Outcome(Guid id, Guid parent, Guid group, int generation, int spawned = 0, bool ok = true, double finishedAfter = 1) =>
        new(id, parent, group, generation, generation == 0 ? "entry" : "child", ok, ok ? null : "boom", spawned, null, 1, T0, T0.AddSeconds(finishedAfter));

    private Task<string?> StatusAsync(Guid root) => audit.ScalarAsync<string?>("SELECT status FROM root_jobs WHERE root_job_id = $1", root);

    [Fact]
    public async Task When_settings_hold_secrets_Should_store_them_masked_in_the_row_and_the_event()
    {
        var platform = $"secretive-{Guid.NewGuid():N}";
        await new PlatformCatalog(audit.Redis).PublishAsync([new PlatformDescriptor(platform, "Secretive", "test", [
            new SettingDescriptor("client_secret_value", "string", null, null, false, true, null, null, null),
            new SettingDescriptor("login", "string", null, null, false, true, null, null, null),
        ])]);
        try
        {
            var root = Guid.NewGuid();
            var settings = JsonSerializer.SerializeToElement(new
            {
                login = "alice-login-value",
                children = 2,
                storage = new { password = "hunter2-value", host = "db" },
                api_key = "key-value-123",
            });
            await audit.Publish(new RootJobStarted(root, platform, settings, null, 0, T0));
            await Eventually.Until(() => StatusAsync(root), s => s == JobStatus.Running, Timeout, "the root row");

            var stored = await audit.ScalarAsync<string>("SELECT settings::text FROM root_jobs WHERE root_job_id = $1", root);
            var payload = await audit.ScalarAsync<string>("SELECT payload::text FROM job_events WHERE root_job_id = $1", root);
            foreach (var text in new[] { stored, payload })
            {
                Assert.DoesNotContain("alice-login-value", text);
                Assert.DoesNotContain("hunter2-value", text);
                Assert.DoesNotContain("key-value-123", text);
                Assert.Contains("\"db\"", text);
            }

            var masked = JsonDocument.Parse(stored).RootElement;
            Assert.Equal(SecretMasking.Mask, masked.GetProperty("login").GetString());
            Assert.Equal(2, masked.GetProperty("children").GetInt32());
        }
        finally
        {
            await audit.Redis.GetDatabase().HashDeleteAsync(PlatformCatalog.Key, platform);
        }
    }

    [Fact]
    public async Task When_a_root_completes_Should_store_the_time_to_complete_each_generation()
    {
        var root = Guid.NewGuid();
        var entry = JobIds.Entry(root);
        var a = JobIds.Child(entry, 0);
        var b = JobIds.Child(entry, 1);
        await audit.Publish(new RootJobStarted(root, "synthetic", NoSettings, null, 0, T0));
        await audit.Publish(new ChildJobsFinished(root, "synthetic", [
            Outcome(entry, root, root, 0, spawned: 2, finishedAfter: 0.5),
            Outcome(a, entry, root, 1, spawned: 1, finishedAfter: 2),
            Outcome(b, entry, root, 1, ok: false, finishedAfter: 3),
            Outcome(JobIds.Child(a, 0), a, root, 2, finishedAfter: 7.5),
        ]));
        await audit.Publish(new RootJobCompleted(root, "synthetic", null, 3, 2, 1, T0, T0.AddSeconds(8)));

        var rows = await Eventually.Until(
            () => audit.RowsAsync("SELECT generation, children, failed, seconds_to_complete FROM root_job_generations WHERE root_job_id = $1 ORDER BY generation", root),
            r => r.Count == 2, Timeout, "two generations");
        Assert.Equal((1, 2L, 1L, 3.0), ((int)rows[0]["generation"]!, (long)rows[0]["children"]!, (long)rows[0]["failed"]!, (double)rows[0]["seconds_to_complete"]!));
        Assert.Equal((2, 1L, 0L, 7.5), ((int)rows[1]["generation"]!, (long)rows[1]["children"]!, (long)rows[1]["failed"]!, (double)rows[1]["seconds_to_complete"]!));
        var duration = await audit.ScalarAsync<long>("SELECT duration_ms FROM root_jobs WHERE root_job_id = $1", root);
        Assert.Equal(8000, duration);
    }

    [Fact]
    public async Task When_a_running_root_makes_no_progress_past_the_deadline_Should_report_the_children_it_waits_for_once()
    {
        var root = Guid.NewGuid();
        var entry = JobIds.Entry(root);
        var withContinuation = JobIds.Child(entry, 0);
        await audit.Publish(new RootJobStarted(root, "synthetic", NoSettings, null, 0, T0));
        await audit.Publish(new ChildJobsFinished(root, "synthetic", [
            Outcome(entry, root, root, 0, spawned: 3),
            Outcome(JobIds.Child(entry, 2), entry, root, 1),
            Outcome(withContinuation, entry, root, 1, spawned: 1) with { Continuation = new ContinuationJob("summary", NoSettings) },
        ]));
        await Eventually.Until(() => audit.ScalarAsync<long>("SELECT count(*) FROM child_jobs WHERE root_job_id = $1", root),
            n => n == 3, Timeout, "three audited outcomes");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the fixture's 1 s deadline

        // The sweep also reports other stalled roots of this fixture's database; only this root's reports are looked at.
        Assert.True(await audit.Sweeper.SweepAsync(CancellationToken.None) >= 3);

        Assert.True(await audit.Harness.Published.Any<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root));
        var timedOut = audit.Harness.Published.Select<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root)
            .SelectMany(m => m.Context.Message.Children).OrderBy(c => c.Generation).ToList();
        Assert.Equal(3, timedOut.Count);
        Assert.Equal(new TimedOutChild(JobIds.Child(entry, 1), entry, root, 1), timedOut[0]);
        // The grandchild of a job with a continuation belongs to that job's group; the continuation to the job's own group.
        Assert.Contains(new TimedOutChild(JobIds.Child(withContinuation, 0), withContinuation, withContinuation, 2), timedOut);
        Assert.Contains(new TimedOutChild(JobIds.Continuation(withContinuation), withContinuation, root, 2), timedOut);

        // Reported once: the next sweep measures this root's deadline from the first report (other roots of the shared
        // database may be reported by it, so only this root's reports are counted).
        await audit.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal(3, audit.Harness.Published.Select<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root)
            .Sum(m => m.Context.Message.Children.Count));
    }

    [Fact]
    public async Task When_a_run_keeps_reporting_progress_Should_not_time_out_its_root_until_the_reports_stop()
    {
        var root = Guid.NewGuid();
        await audit.Publish(new RootJobStarted(root, "synthetic", NoSettings, null, 0, T0));
        await Eventually.Until(() => audit.ScalarAsync<long>("SELECT count(*) FROM root_jobs WHERE root_job_id = $1", root),
            n => n == 1, Timeout, "the audited root");
        var progress = RunKeys.ProgressKey(root);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // past the fixture's 1 s deadline, but the entry run reports progress
            await audit.Redis.GetDatabase().HashSetAsync(progress, RunKeys.ProgressAt, DateTimeOffset.UtcNow.ToString("O"));

            await audit.Sweeper.SweepAsync(CancellationToken.None);
            Assert.False(await audit.Harness.Published.Any<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root));

            await Task.Delay(TimeSpan.FromSeconds(1.5)); // the reports stopped
            await audit.Sweeper.SweepAsync(CancellationToken.None);
            Assert.True(await audit.Harness.Published.Any<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root));
        }
        finally
        {
            await audit.Redis.GetDatabase().KeyDeleteAsync(progress);
        }
    }

    [Fact]
    public async Task When_every_awaited_child_has_an_outcome_but_the_root_never_ended_Should_end_it_from_the_recorded_outcomes()
    {
        var root = Guid.NewGuid();
        var entry = JobIds.Entry(root);
        await audit.Publish(new RootJobStarted(root, "synthetic", NoSettings, null, 0, T0));
        await audit.Publish(new ChildJobsFinished(root, "synthetic", [
            Outcome(entry, root, root, 0, spawned: 2),
            Outcome(JobIds.Child(entry, 0), entry, root, 1),
            Outcome(JobIds.Child(entry, 1), entry, root, 1, ok: false),
        ]));
        await Eventually.Until(() => audit.ScalarAsync<long>("SELECT count(*) FROM child_jobs WHERE root_job_id = $1", root),
            n => n == 3, Timeout, "three audited outcomes");
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await audit.Sweeper.SweepAsync(CancellationToken.None);

        // Ending the root is the Integrator's: the sweeper sends it the recorded outcomes and announces nothing itself.
        Assert.True(await audit.Harness.Sent.Any<EndStalledRootJob>(m => m.Context.Message.RootJobId == root));
        var repair = audit.Harness.Sent.Select<EndStalledRootJob>(m => m.Context.Message.RootJobId == root).Single().Context;
        Assert.Equal(new EndStalledRootJob(root, "synthetic", 2, 1, 1, null), repair.Message);
        Assert.Equal(IntegrationQueues.EndStalledRootJobs, repair.DestinationAddress!.AbsolutePath.Split('/')[^1]);
        Assert.False(await audit.Harness.Published.Any<RootJobChildrenFinished>(m => m.Context.Message.RootJobId == root));
        Assert.False(await audit.Harness.Published.Any<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root));
    }

    [Fact]
    public async Task When_a_continuation_never_ran_Should_report_it_with_the_missing_children()
    {
        var root = Guid.NewGuid();
        var entry = JobIds.Entry(root);
        await audit.Publish(new RootJobStarted(root, "synthetic", NoSettings, null, 0, T0));
        await audit.Publish(new ChildJobsFinished(root, "synthetic", [
            Outcome(entry, root, root, 0, spawned: 1) with { Continuation = new ContinuationJob("summary", NoSettings) },
            Outcome(JobIds.Child(entry, 0), entry, entry, 1),
        ]));
        await Eventually.Until(() => audit.ScalarAsync<long>("SELECT count(*) FROM child_jobs WHERE root_job_id = $1", root),
            n => n == 2, Timeout, "two audited outcomes");
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.True(await audit.Sweeper.SweepAsync(CancellationToken.None) >= 1);

        Assert.True(await audit.Harness.Published.Any<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root));
        var reported = audit.Harness.Published.Select<ChildJobsTimedOut>(m => m.Context.Message.RootJobId == root)
            .SelectMany(m => m.Context.Message.Children).Single();
        Assert.Equal(new TimedOutChild(JobIds.Continuation(entry), entry, root, 1), reported);
    }
}
