using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.TestSupport;

namespace Jobs.Auditor.Tests;

public sealed class JobEventsConsumerTests(AuditFixture audit) : IClassFixture<AuditFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Whole milliseconds, so a value survives PostgreSQL's microsecond timestamps unchanged.</summary>
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, 123, TimeSpan.Zero);

    private static JsonElement Settings(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static ChildJobOutcome Outcome(Guid root, int index, bool succeeded = true, string? error = null, int attempts = 1) =>
        new(JobIds.Child(JobIds.Entry(root), index), JobIds.Entry(root), root, 1, "child", succeeded, error, 0, null, attempts,
            T0.AddSeconds(index), T0.AddSeconds(index + 1));

    private Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what) => Eventually.Until(probe, done, Timeout, what);

    private Task<string?> StatusAsync(Guid root) => audit.ScalarAsync<string?>("SELECT status FROM root_jobs WHERE root_job_id = $1", root);

    private Task<long> ChildCountAsync(Guid root) => audit.ScalarAsync<long>("SELECT count(*) FROM child_jobs WHERE root_job_id = $1", root);

    private Task<long> EventCountAsync(Guid root) => audit.ScalarAsync<long>("SELECT count(*) FROM job_events WHERE root_job_id = $1", root);

    private Task<bool> EventExistsAsync(Guid messageId) =>
        audit.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM job_events WHERE message_id = $1)", messageId);


    [Fact]
    public async Task When_a_root_job_starts_finishes_children_and_completes_Should_record_the_root_the_children_and_every_event()
    {
        var root = Guid.NewGuid();
        await audit.Publish(new RootJobStarted(root, "synthetic", Settings("""{"children":3,"work_ms":0}"""), "nightly", 50, T0));
        await Until(() => StatusAsync(root), s => s == JobStatus.Running, "the root row to be Running");

        var outcomes = new[] { Outcome(root, 0), Outcome(root, 1, succeeded: false, error: "boom", attempts: 3), Outcome(root, 2) };
        await audit.Publish(new ChildJobsFinished(root, "synthetic", outcomes));
        await Until(() => ChildCountAsync(root), n => n == 3, "three child rows");

        await audit.Publish(new RootJobCompleted(root, "synthetic", "nightly", 3, 2, 1, T0, T0.AddMinutes(1)));
        await Until(() => StatusAsync(root), s => s == JobStatus.Completed, "the root row to be Completed");

        var rootRow = Assert.Single(await audit.RowsAsync(
            "SELECT platform, schedule, status, settings::text AS settings, total, completed, failed, started_at, finished_at, error FROM root_jobs WHERE root_job_id = $1",
            root));
        Assert.Equal("synthetic", rootRow["platform"]);
        Assert.Equal("nightly", rootRow["schedule"]);
        Assert.Equal((3L, 2L, 1L), ((long)rootRow["total"]!, (long)rootRow["completed"]!, (long)rootRow["failed"]!));
        Assert.Equal(T0.UtcDateTime, rootRow["started_at"]);
        Assert.Equal(T0.AddMinutes(1).UtcDateTime, rootRow["finished_at"]);
        Assert.Null(rootRow["error"]);
        using (var settings = JsonDocument.Parse((string)rootRow["settings"]!))
            Assert.Equal(3, settings.RootElement.GetProperty("children").GetInt32());

        var children = await audit.RowsAsync(
            "SELECT child_job_id, parent_job_id, generation, task, status, error, attempts, started_at, finished_at FROM child_jobs WHERE root_job_id = $1 ORDER BY started_at",
            root);
        Assert.Equal(outcomes.Select(o => o.ChildJobId), children.Select(c => (Guid)c["child_job_id"]!));
        Assert.Equal(["Completed", "Failed", "Completed"], children.Select(c => (string)c["status"]!));
        Assert.Equal([null, "boom", null], children.Select(c => (string?)c["error"]));
        Assert.Equal([1, 3, 1], children.Select(c => (int)c["attempts"]!));
        Assert.All(children, c => Assert.Equal((JobIds.Entry(root), 1, "child"), ((Guid)c["parent_job_id"]!, (int)c["generation"]!, (string)c["task"]!)));
        Assert.Equal(outcomes.Select(o => o.StartedAt.UtcDateTime), children.Select(c => (DateTime)c["started_at"]!));
        Assert.Equal(outcomes.Select(o => o.FinishedAt.UtcDateTime), children.Select(c => (DateTime)c["finished_at"]!));

        var events = await audit.RowsAsync(
            "SELECT event_type, payload->>'rootJobId' AS payload_root FROM job_events WHERE root_job_id = $1 ORDER BY id", root);
        Assert.Equal(["RootJobStarted", "ChildJobsFinished", "RootJobCompleted"], events.Select(e => (string)e["event_type"]!));
        Assert.All(events, e => Assert.Equal(root.ToString(), e["payload_root"]));
    }

    [Fact]
    public async Task When_the_integrator_closes_children_that_timed_out_Should_record_them_failed_and_keep_a_late_report_from_counting_again()
    {
        var root = Guid.NewGuid();
        await audit.Publish(new RootJobStarted(root, "synthetic", Settings("{}"), null, 0, T0));
        await Until(() => StatusAsync(root), s => s == JobStatus.Running, "the root row to be Running");

        var closed = new[] { Outcome(root, 0, succeeded: false, error: "timed out: no progress for 00:15:00"), Outcome(root, 1, succeeded: false, error: "timed out: no progress for 00:15:00") };
        await audit.Publish(new ChildJobsClosed(root, "synthetic", closed));
        await Until(() => ChildCountAsync(root), n => n == 2, "two child rows");
        // The run of child 0 reports after all: the closed outcome stays, nothing is counted twice.
        await audit.Publish(new ChildJobsFinished(root, "synthetic", [Outcome(root, 0), Outcome(root, 2)]));
        await Until(() => ChildCountAsync(root), n => n == 3, "three child rows");

        var children = await audit.RowsAsync("SELECT status, error FROM child_jobs WHERE root_job_id = $1 ORDER BY started_at", root);
        Assert.Equal(["Failed", "Failed", "Completed"], children.Select(c => (string)c["status"]!));
        Assert.StartsWith("timed out:", (string?)children[0]["error"]);
        var events = await audit.RowsAsync("SELECT event_type FROM job_events WHERE root_job_id = $1 ORDER BY id", root);
        Assert.Equal(["RootJobStarted", "ChildJobsClosed", "ChildJobsFinished"], events.Select(e => (string)e["event_type"]!));
    }

    [Fact]
    public async Task When_the_same_batch_is_redelivered_and_another_overlaps_it_Should_count_each_child_once_and_each_message_once()
    {
        var root = Guid.NewGuid();
        var first = new ChildJobsFinished(root, "synthetic", [Outcome(root, 0), Outcome(root, 1), Outcome(root, 2)]);
        var overlapping = new ChildJobsFinished(root, "synthetic",
            [Outcome(root, 2, succeeded: false, error: "late duplicate"), Outcome(root, 3), Outcome(root, 4)]);
        var firstId = Guid.NewGuid();
        var overlappingId = Guid.NewGuid();

        await audit.Publish(first, firstId);
        await audit.Publish(first, firstId);
        await audit.Publish(overlapping, overlappingId);

        await Until(() => Task.FromResult(audit.ChildBatches.Completed(root)), n => n >= 3, "all three batches (one redelivered) to be consumed");
        await Until(() => ChildCountAsync(root), n => n == 5, "five distinct child rows");

        Assert.Equal(5, await ChildCountAsync(root));
        Assert.Equal(3, audit.ChildBatches.Completed(root));
        var events = await audit.RowsAsync("SELECT message_id, event_type FROM job_events WHERE root_job_id = $1", root);
        Assert.Equal(2, events.Count);
        Assert.Equal(new HashSet<Guid> { firstId, overlappingId }, events.Select(e => (Guid)e["message_id"]!).ToHashSet());
        Assert.All(events, e => Assert.Equal("ChildJobsFinished", e["event_type"]));
        Assert.Equal(1L, await audit.ScalarAsync<long>(
            "SELECT count(*) FROM child_jobs WHERE child_job_id = $1", JobIds.Child(JobIds.Entry(root), 2)));
    }

    [Fact]
    public async Task When_the_completion_arrives_before_the_start_Should_keep_the_final_status_and_add_the_settings()
    {
        var root = Guid.NewGuid();
        await audit.Publish(new RootJobCompleted(root, "synthetic", null, 10, 9, 1, T0, T0.AddMinutes(2)));
        await Until(() => StatusAsync(root), s => s == JobStatus.Completed, "the root row created as Completed");

        var startedId = Guid.NewGuid();
        await audit.Publish(new RootJobStarted(root, "synthetic", Settings("""{"children":10}"""), null, 0, T0), startedId);
        await Until(() => EventExistsAsync(startedId), found => found, "the late RootJobStarted to be audited");

        var row = Assert.Single(await audit.RowsAsync(
            "SELECT status, total, completed, failed, finished_at, settings->>'children' AS children FROM root_jobs WHERE root_job_id = $1", root));
        Assert.Equal(JobStatus.Completed, row["status"]);
        Assert.Equal((10L, 9L, 1L), ((long)row["total"]!, (long)row["completed"]!, (long)row["failed"]!));
        Assert.Equal(T0.AddMinutes(2).UtcDateTime, row["finished_at"]);
        Assert.Equal("10", row["children"]);
        Assert.Equal(2L, await EventCountAsync(root));
    }

    [Fact]
    public async Task When_a_root_job_completes_with_failures_Should_record_CompletedWithFailures_with_its_counts_and_observe_it_by_that_status()
    {
        var root = Guid.NewGuid();
        var platform = $"partial-{Guid.NewGuid():N}";
        await audit.Publish(new RootJobStarted(root, platform, Settings("{}"), null, 0, T0));
        await Until(() => StatusAsync(root), s => s == JobStatus.Running, "the root row to be Running");
        await audit.Publish(new ChildJobsFinished(root, platform, [Outcome(root, 0), Outcome(root, 1, succeeded: false, error: "boom")]));
        await audit.Publish(new RootJobCompleted(root, platform, null, 2, 1, 1, T0, T0.AddSeconds(30), JobStatus.CompletedWithFailures));

        await Until(() => StatusAsync(root), s => s == JobStatus.CompletedWithFailures, "the root row to be CompletedWithFailures");
        var row = Assert.Single(await audit.RowsAsync("SELECT total, completed, failed FROM root_jobs WHERE root_job_id = $1", root));
        Assert.Equal((2L, 1L, 1L), ((long)row["total"]!, (long)row["completed"]!, (long)row["failed"]!));
        var metrics = await Until(async () =>
        {
            using var stream = new MemoryStream();
            await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
            return System.Text.Encoding.UTF8.GetString(stream.ToArray());
        }, text => text.Contains($"job_completion_seconds_count{{platform=\"{platform}\",status=\"CompletedWithFailures\"}} 1", StringComparison.Ordinal),
            "the completion observed under its status");
        Assert.DoesNotContain($"job_completion_seconds_count{{platform=\"{platform}\",status=\"Completed\"}}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_a_root_job_fails_Should_record_the_failed_status_counts_and_reason()
    {
        var root = Guid.NewGuid();
        await audit.Publish(new RootJobStarted(root, "synthetic", Settings("{}"), null, 90, T0));
        await Until(() => StatusAsync(root), s => s == JobStatus.Running, "the root row to be Running");
        await audit.Publish(new RootJobFailed(root, "synthetic", null, 4, 1, 3, "only 25% succeeded", T0, T0.AddSeconds(30)));
        await Until(() => StatusAsync(root), s => s == JobStatus.Failed, "the root row to be Failed");

        var row = Assert.Single(await audit.RowsAsync("SELECT total, completed, failed, error FROM root_jobs WHERE root_job_id = $1", root));
        Assert.Equal((4L, 1L, 3L, "only 25% succeeded"), ((long)row["total"]!, (long)row["completed"]!, (long)row["failed"]!, (string?)row["error"]));
    }

    [Fact]
    public async Task When_a_root_job_is_cancelled_Should_record_the_reason_and_keep_the_counts()
    {
        var root = Guid.NewGuid();
        await audit.Publish(new RootJobCompleted(root, "synthetic", null, 7, 7, 0, T0, T0.AddSeconds(5)));
        await Until(() => StatusAsync(root), s => s == JobStatus.Completed, "the root row to be Completed");
        await audit.Publish(new RootJobCancelled(root, "synthetic", null, "operator said stop", T0, T0.AddSeconds(9)));
        await Until(() => StatusAsync(root), s => s == JobStatus.Cancelled, "the root row to be Cancelled");

        var row = Assert.Single(await audit.RowsAsync(
            "SELECT total, completed, failed, error, finished_at FROM root_jobs WHERE root_job_id = $1", root));
        Assert.Equal((7L, 7L, 0L), ((long)row["total"]!, (long)row["completed"]!, (long)row["failed"]!));
        Assert.Equal("operator said stop", row["error"]);
        Assert.Equal(T0.AddSeconds(9).UtcDateTime, row["finished_at"]);
    }

    [Fact]
    public async Task When_the_schema_is_migrated_Should_have_the_lookup_indexes()
    {
        var indexes = (await audit.RowsAsync("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"))
            .Select(r => ((string)r["tablename"]!, (string)r["indexdef"]!))
            .ToList();

        Assert.Contains(indexes, i => i.Item1 == "child_jobs" && i.Item2.EndsWith("(root_job_id)", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.Item1 == "root_jobs" && i.Item2.EndsWith("(platform, started_at)", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.Item1 == "job_events" && i.Item2.StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal)
                                      && i.Item2.EndsWith("(message_id)", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.Item1 == "job_events" && i.Item2.EndsWith("(root_job_id)", StringComparison.Ordinal));
    }
}
