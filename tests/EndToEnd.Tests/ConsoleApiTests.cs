using System.Net;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

/// <summary>The operations console's API over a real job run by the five services: the tree, the events, the streams and the overview.</summary>
[Collection(SystemCollection.Name)]
public sealed class ConsoleApiTests(SystemFixture system)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    private async Task<JsonElement> GetAsync(string path)
    {
        var response = await system.Api.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static (long Done, long Failed, long Running, long Waiting) Counts(JsonElement node) => JobTreeJson.Counts(node);

    [Fact]
    public async Task The_tree_of_a_finished_job_with_grandchildren_and_a_continuation_adds_up_to_its_counts_and_pages_within_a_level()
    {
        const int children = 7;
        var id = await system.SubmitAsync(new { children, grandchildren = 2, continuation = true, fail_ratio = 0.3, work_ms = 10 });
        var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(2));
        // Failed children spawn no grandchildren: more than the children and their continuation, at most all grandchildren.
        var total = job.GetProperty("children").GetProperty("total").GetInt64();
        Assert.InRange(total, children + 1 + 2, children * 3 + 1);

        // The audit trail follows the Integrator: wait until it holds every finished job.
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation > 0", id), n => n == total,
            TimeSpan.FromSeconds(60), "every finished job audited");
        var level = await GetAsync($"jobs/{id}/tree?pageSize=3");
        Assert.Equal(children + 1, level.GetProperty("children").GetProperty("total").GetInt64());
        var root = level.GetProperty("node");
        Assert.Equal(("root", job.GetProperty("status").GetString()), (root.GetProperty("kind").GetString(), root.GetProperty("status").GetString()));
        var counts = Counts(root);
        Assert.Equal((job.GetProperty("children").GetProperty("completed").GetInt64(), job.GetProperty("children").GetProperty("failed").GetInt64(), 0L, 0L),
            counts);
        Assert.Equal(total, counts.Done + counts.Failed);

        var items = new List<JsonElement>();
        for (var page = 1; page <= 3; page++)
        {
            var paged = await GetAsync($"jobs/{id}/tree?page={page}&pageSize=3");
            Assert.Equal(page < 3 ? 3 : children + 1 - 6, paged.GetProperty("children").GetProperty("items").GetArrayLength());
            items.AddRange(paged.GetProperty("children").GetProperty("items").EnumerateArray());
        }

        Assert.Equal(children + 1, items.Select(i => i.GetProperty("id").GetGuid()).Distinct().Count());
        Assert.Equal(children, items.Count(i => i.GetProperty("kind").GetString() == "child"));
        var continuation = Assert.Single(items, i => i.GetProperty("kind").GetString() == "continuation");
        Assert.Equal("summary", continuation.GetProperty("task").GetString());
        // Every job below the root is one of its children or in a child's subtree.
        var own = items.Select(i => i.GetProperty("status").GetString()).ToList();
        Assert.Equal(counts.Done, own.Count(s => s == "Completed") + items.Sum(i => Counts(i).Done));
        Assert.Equal(counts.Failed, own.Count(s => s == "Failed") + items.Sum(i => Counts(i).Failed));

        var parent = items.First(i => i.GetProperty("kind").GetString() == "child" && i.GetProperty("status").GetString() == "Completed");
        var below = await GetAsync($"jobs/{id}/tree?node={parent.GetProperty("id").GetGuid()}");
        Assert.Equal(2, below.GetProperty("children").GetProperty("total").GetInt64());
        Assert.All(below.GetProperty("children").GetProperty("items").EnumerateArray(), g =>
        {
            Assert.Equal(2, g.GetProperty("generation").GetInt32());
            Assert.Equal(parent.GetProperty("id").GetGuid(), g.GetProperty("parentId").GetGuid());
            Assert.False(g.GetProperty("hasChildren").GetBoolean());
        });
        var node = below.GetProperty("node");
        var (done, failed, _, _) = Counts(node);
        Assert.Equal(2, done + failed);

        var events = await GetAsync($"jobs/{id}/events?pageSize=200");
        // Ordered as the Auditor received them: the Integrator's start and the Integrations' first outcomes come from two processes,
        // so either may be first.
        Assert.Single(events.GetProperty("items").EnumerateArray(), e => e.GetProperty("type").GetString() == "RootJobStarted");
        Assert.Contains(events.GetProperty("items").EnumerateArray(), e => e.GetProperty("type").GetString() == "ChildJobsFinished");
    }

    [Fact]
    public async Task A_job_stream_follows_a_running_job_to_its_end_and_closes()
    {
        var id = await system.SubmitAsync(new { children = 4, work_ms = 3000 });

        await using var stream = await ServerSentEventReader.OpenAsync(system.Api, $"jobs/{id}/stream");
        var statuses = new List<string>();
        while (await stream.NextAsync(TimeSpan.FromSeconds(60)) is { } sent)
        {
            Assert.Equal("job", sent.Type);
            Assert.Equal(id, sent.Data.GetProperty("id").GetGuid());
            statuses.Add(sent.Data.GetProperty("status").GetString()!);
        }

        Assert.True(statuses.Count >= 2, string.Join(", ", statuses));
        Assert.Equal("Completed", statuses[^1]);
        Assert.DoesNotContain("Completed", statuses[..^1]);
    }

    [Fact]
    public async Task The_overview_stream_shows_the_synthetic_queue_with_the_Integrations_process_that_consumes_it()
    {
        await using var stream = await ServerSentEventReader.OpenAsync(system.Api, "overview/stream");

        var first = await stream.NextAsync(EventTimeout);
        var second = await stream.NextAsync(EventTimeout);

        Assert.Equal(("overview", "overview"), (first?.Type, second?.Type));
        Assert.True(second!.Data.GetProperty("at").GetDateTimeOffset() > first!.Data.GetProperty("at").GetDateTimeOffset());
        // The management API's figures lag the broker by its statistics interval (5 s): a freshly started system shows no consumer yet.
        var latest = second;
        JsonElement Queue(ServerSentEvent sent) =>
            Assert.Single(sent.Data.GetProperty("queues").EnumerateArray(), q => q.GetProperty("name").GetString() == "integration-synthetic");
        var deadline = DateTime.UtcNow + EventTimeout;
        while (Queue(latest).GetProperty("consumers").GetInt32() == 0 && DateTime.UtcNow < deadline)
            latest = await stream.NextAsync(EventTimeout) ?? throw new InvalidOperationException("the overview stream closed");
        var queue = Queue(latest);
        Assert.True(queue.GetProperty("consumers").GetInt32() > 0, queue.ToString());
        Assert.Contains(queue.GetProperty("workers").EnumerateArray(),
            w => w.GetProperty("platforms").EnumerateArray().Any(p => p.GetString() == "synthetic") && w.GetProperty("id").GetString()!.EndsWith(
                $":{system["Integrations"].ProcessId}", StringComparison.Ordinal));
        Assert.Contains(latest.Data.GetProperty("nextFires").EnumerateArray(), f => f.GetProperty("schedule").GetString() == SystemFixture.EverySecondSchedule);
    }
}
