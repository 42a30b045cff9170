using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using Jobs.TestSupport;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>
/// GET /jobs/{id}/tree over the three owners' records, written as they write them: finished jobs in the audit trail, a running child in
/// the Integrations' running record, the root's counts in the Integrator's read model.
/// </summary>
public sealed class JobTreeTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>, IAsyncLifetime
{
    private readonly List<Guid> _roots = [];

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The running records the trees wrote (the fixture deletes the read-model keys, not these).</summary>
    public async Task DisposeAsync()
    {
        foreach (var root in _roots) await reporting.Redis.GetDatabase().KeyDeleteAsync(RunKeys.RunningKey(root));
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 4, 8, 0, 0, TimeSpan.Zero);

    private AuditRows Rows => new(reporting.Postgres);

    private static Task<JsonElement> OkJsonAsync(HttpResponseMessage response) => ApiJson.OkAsync(response);

    private static (long Done, long Failed, long Running, long Waiting) Counts(JsonElement node) => JobTreeJson.Counts(node);

    private static Guid[] Ids(JsonElement level) =>
        level.GetProperty("children").GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToArray();

    /// <summary>
    /// The root's entry spawned 3 children and a continuation: child 0 completed having spawned 2 grandchildren (one completed, one
    /// failed), child 1 failed, child 2 runs now, the continuation waits for them.
    /// </summary>
    private async Task<(Guid Root, Guid Entry, Guid[] Children, Guid[] Grandchildren, Guid Continuation)> TreeAsync()
    {
        var root = Guid.NewGuid();
        reporting.Track(root);
        _roots.Add(root);
        var entry = JobIds.Entry(root);
        Guid[] children = [JobIds.Child(entry, 0), JobIds.Child(entry, 1), JobIds.Child(entry, 2)];
        Guid[] grandchildren = [JobIds.Child(children[0], 0), JobIds.Child(children[0], 1)];
        var db = reporting.Redis.GetDatabase();
        await db.HashSetAsync(RootJobKeys.Key(root), [
            new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, reporting.Platform),
            new HashEntry(RootJobKeys.Total, 6), new HashEntry(RootJobKeys.Completed, 2), new HashEntry(RootJobKeys.Failed, 2),
            new HashEntry(RootJobKeys.StartedAt, T0.ToString("O")),
        ]);
        var running = new ChildJob(children[2], entry, root, 1, "child", JsonDocument.Parse("{}").RootElement);
        await db.HashSetAsync(RunKeys.RunningKey(root), children[2].ToString("N"), JsonSerializer.Serialize(running));
        await Rows.RootAsync(root, reporting.Platform, JobStatus.Running, T0);
        await Rows.ChildrenAsync(root, root, 0, [entry], _ => "Completed", T0, spawned: _ => 3, hasContinuation: _ => true, task: IntegrationTasks.Entry);
        await Rows.ChildrenAsync(root, entry, 1, children[..2], i => i == 0 ? "Completed" : "Failed", T0.AddSeconds(1), spawned: i => i == 0 ? 2 : 0,
            error: i => i == 1 ? "boom" : null);
        await Rows.ChildrenAsync(root, children[0], 2, grandchildren, i => i == 0 ? "Completed" : "Failed", T0.AddSeconds(2));
        return (root, entry, children, grandchildren, JobIds.Continuation(entry));
    }

    [Fact]
    public async Task The_root_level_lists_the_entrys_children_running_first_with_subtree_counts_that_add_up_to_the_roots()
    {
        var (root, _, children, _, _) = await TreeAsync();
        var level = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{root}/tree"));

        var node = level.GetProperty("node");
        Assert.Equal((root, "root", "Running", IntegrationTasks.Entry, 3), (node.GetProperty("id").GetGuid(), node.GetProperty("kind").GetString(),
            node.GetProperty("status").GetString(), node.GetProperty("task").GetString(), node.GetProperty("spawned").GetInt32()));
        Assert.Equal(JsonValueKind.Null, node.GetProperty("parentId").ValueKind);
        Assert.True(node.GetProperty("hasChildren").GetBoolean());
        // Two completed (child 0, grandchild 0), two failed (child 1, grandchild 1), child 2 running, the continuation waiting: the root's 6.
        Assert.Equal((2L, 2L, 1L, 1L), Counts(node));
        Assert.Equal(1, level.GetProperty("waiting").GetInt64());

        Assert.Equal([children[2], children[0], children[1]], Ids(level));
        Assert.Equal(3, level.GetProperty("children").GetProperty("total").GetInt64());
        var items = level.GetProperty("children").GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(("Running", "child", false), (items[0].GetProperty("status").GetString(), items[0].GetProperty("kind").GetString(),
            items[0].GetProperty("hasChildren").GetBoolean()));
        Assert.Equal(("Completed", 2, true, (1L, 1L, 0L, 0L)), (items[1].GetProperty("status").GetString(), items[1].GetProperty("spawned").GetInt32(),
            items[1].GetProperty("hasChildren").GetBoolean(), Counts(items[1])));
        Assert.Equal(("Failed", "boom", 20L, false), (items[2].GetProperty("status").GetString(), items[2].GetProperty("error").GetString(),
            items[2].GetProperty("durationMs").GetInt64(), items[2].GetProperty("hasChildren").GetBoolean()));
        var summed = items.Select(Counts).Aggregate((0L, 0L, 0L, 0L), (a, c) => (a.Item1 + c.Done, a.Item2 + c.Failed, a.Item3 + c.Running, a.Item4 + c.Waiting));
        var own = items.Select(i => i.GetProperty("status").GetString()).ToList();
        // The root's counts are its children's own states, their subtrees' and what waits at the root level.
        Assert.Equal(Counts(node), (summed.Item1 + own.Count(s => s == "Completed"), summed.Item2 + own.Count(s => s == "Failed"),
            summed.Item3 + own.Count(s => s == "Running"), summed.Item4 + level.GetProperty("waiting").GetInt64()));
    }

    [Fact]
    public async Task A_level_is_paged_running_children_first_then_finished_ones_in_start_order()
    {
        var (root, _, children, _, _) = await TreeAsync();
        var pages = new List<Guid>();
        for (var page = 1; page <= 3; page++)
        {
            var level = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{root}/tree?page={page}&pageSize=1"));
            Assert.Equal((page, 1, 3L), (level.GetProperty("children").GetProperty("page").GetInt32(),
                level.GetProperty("children").GetProperty("pageSize").GetInt32(), level.GetProperty("children").GetProperty("total").GetInt64()));
            pages.AddRange(Ids(level));
        }

        Assert.Equal([children[2], children[0], children[1]], pages);
        Assert.Empty(Ids(await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{root}/tree?page=4&pageSize=1"))));
    }

    [Fact]
    public async Task A_child_node_shows_its_own_row_its_subtree_counts_and_its_children()
    {
        var (root, entry, children, grandchildren, _) = await TreeAsync();
        var level = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{root}/tree?node={children[0]}"));

        var node = level.GetProperty("node");
        Assert.Equal((children[0], entry, "child", 1, (1L, 1L, 0L, 0L)), (node.GetProperty("id").GetGuid(), node.GetProperty("parentId").GetGuid(),
            node.GetProperty("kind").GetString(), node.GetProperty("generation").GetInt32(), Counts(node)));
        Assert.Equal(grandchildren, Ids(level));
        Assert.Equal(0, level.GetProperty("waiting").GetInt64());

        var asEntry = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{root}/tree?node={entry}"));
        Assert.Equal(("entry", root, (2L, 2L, 1L, 1L)), (asEntry.GetProperty("node").GetProperty("kind").GetString(),
            asEntry.GetProperty("node").GetProperty("parentId").GetGuid(), Counts(asEntry.GetProperty("node"))));
        Assert.Equal([children[2], children[0], children[1]], Ids(asEntry));
    }

    [Fact]
    public async Task A_finished_continuation_is_a_child_of_the_job_that_spawned_it()
    {
        var (root, entry, _, _, continuation) = await TreeAsync();
        await Rows.ChildrenAsync(root, entry, 1, [continuation], _ => "Completed", T0.AddSeconds(5), task: "summary");

        var level = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{root}/tree"));

        var last = level.GetProperty("children").GetProperty("items").EnumerateArray().Last();
        Assert.Equal((continuation, "continuation", "summary"), (last.GetProperty("id").GetGuid(), last.GetProperty("kind").GetString(),
            last.GetProperty("task").GetString()));
        Assert.Equal(0, level.GetProperty("waiting").GetInt64());
    }

    [Fact]
    public async Task An_unknown_job_or_node_is_404_and_bad_parameters_are_400_naming_each()
    {
        var (root, _, _, _, _) = await TreeAsync();
        var unknownJob = await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/tree");
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (unknownJob.StatusCode, unknownJob.Content.Headers.ContentType?.MediaType));
        var unknownNode = await reporting.Client.GetAsync($"/jobs/{root}/tree?node={Guid.NewGuid()}");
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (unknownNode.StatusCode, unknownNode.Content.Headers.ContentType?.MediaType));

        var bad = await reporting.Client.GetAsync($"/jobs/{root}/tree?node=not-a-guid&page=0&pageSize=201");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["node", "page", "pageSize"], errors.EnumerateObject().Select(p => p.Name).Order());
    }
}

/// <summary>The root level of a 100,000-child job, in a database of its own.</summary>
public sealed class JobTreeScaleTests(ReportingFixture reporting, ITestOutputHelper output) : IClassFixture<ReportingFixture>
{
    private const int Children = 100_000;

    [Fact]
    public async Task A_page_of_the_root_level_of_a_100000_child_job_is_answered_well_under_300_ms()
    {
        var root = Guid.NewGuid();
        reporting.Track(root);
        var entry = JobIds.Entry(root);
        var startedAt = DateTimeOffset.UtcNow.AddHours(-1);
        await reporting.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root), [
            new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, reporting.Platform),
            new HashEntry(RootJobKeys.Total, Children), new HashEntry(RootJobKeys.Completed, Children - 1000), new HashEntry(RootJobKeys.Failed, 1000),
        ]);
        var rows = new AuditRows(reporting.Postgres);
        await rows.ChildrenAsync(root, root, 0, [entry], _ => "Completed", startedAt, spawned: _ => Children, task: IntegrationTasks.Entry);
        await rows.ChildrenAsync(root, entry, 1, Enumerable.Range(0, Children).Select(i => JobIds.Child(entry, i)).ToList(),
            i => i % 100 == 0 ? "Failed" : "Completed", startedAt, error: i => i % 100 == 0 ? "boom" : null);
        await reporting.ExecuteAsync("ANALYZE child_jobs");

        var timings = new List<double>();
        foreach (var page in new[] { 1, 1, 2, Children / 50 })
        {
            var watch = Stopwatch.StartNew();
            var response = await reporting.Client.GetAsync($"/jobs/{root}/tree?page={page}&pageSize=50");
            timings.Add(watch.Elapsed.TotalMilliseconds);
            var level = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, level.ToString());
            Assert.Equal(50, level.GetProperty("children").GetProperty("items").GetArrayLength());
            Assert.Equal(Children, level.GetProperty("children").GetProperty("total").GetInt64());
        }

        output.WriteLine($"GET /jobs/{{id}}/tree of {Children} children, pages 1, 1, 2, last (ms): {string.Join(", ", timings.Select(t => t.ToString("0.0")))}");
        // The first request warms the process (JIT, pools); the others are what the console sees.
        Assert.True(timings.Skip(1).All(t => t < 300), $"timings (ms): {string.Join(", ", timings.Select(t => t.ToString("0.0")))}");
    }
}
