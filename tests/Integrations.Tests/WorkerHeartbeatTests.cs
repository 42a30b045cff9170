using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrations.Tests.Hostile;
using Jobs.JobTree;
using Jobs.Plugins.Synthetic;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests;

/// <summary>The heartbeats the Integrations processes write (Workers), from the built service run as a process.</summary>
public sealed class WorkerHeartbeatTests(HostFixture host) : IClassFixture<HostFixture>
{
    private static string IdOf(ServiceProcess process) => $"{Environment.MachineName}:{process.ProcessId}";

    private async Task<WorkerHeartbeat?> HeartbeatAsync(string id) =>
        (await Workers.ListAsync(host.Redis.GetDatabase())).FirstOrDefault(w => w.Id == id);

    [Fact]
    public async Task A_running_Integrations_process_reports_its_platforms_queues_and_children_in_flight_and_removes_its_heartbeat_when_it_stops()
    {
        await using var integrations = await IsolatedIntegrations.StartAsync(host, "synthetic", new Dictionary<string, string>
        {
            ["Integrations__Heartbeat__Interval"] = "00:00:00.300",
        });
        var id = IdOf(integrations.Process);
        var idle = await Eventually.Until(() => HeartbeatAsync(id), h => h is not null, TimeSpan.FromSeconds(30), $"the heartbeat of {id}");
        Assert.Equal(["synthetic"], idle!.Platforms);
        Assert.Equal(["integration-synthetic", "integration-synthetic.interactive"], idle.Queues);
        Assert.Equal((0L, integrations.Process.ProcessId, Environment.MachineName), (idle.InFlight, (int?)idle.Pid, idle.Host));

        var root = Guid.NewGuid();
        var entry = JobIds.Entry(root);
        var slow = JsonSerializer.SerializeToElement(new { work_ms = 4000 });
        await integrations.SendAsync(new RunChildJobs(root, "synthetic",
            Enumerable.Range(0, 3).Select(i => new ChildJob(JobIds.Child(entry, i), entry, root, 1, SyntheticIntegration.Child, slow)).ToList()));

        var busy = await Eventually.Until(() => HeartbeatAsync(id), h => h is { InFlight: > 0 }, TimeSpan.FromSeconds(30), "children in flight");
        Assert.InRange(busy!.InFlight, 1, 3);
        Assert.Equal(3, (await integrations.FinishedAsync(TimeSpan.FromSeconds(60))).Count);
        var after = await Eventually.Until(() => HeartbeatAsync(id), h => h is { InFlight: 0, ChildrenPerSecond: > 0 }, TimeSpan.FromSeconds(30),
            "the finished children counted per second");
        Assert.True(after!.SeenAt > busy.SeenAt && after.StartedAt == idle.StartedAt);

        await integrations.Process.StopAsync();
        Assert.DoesNotContain(await Workers.ListAsync(host.Redis.GetDatabase(), TimeSpan.FromDays(1)), w => w.Id == id);
    }

    [Fact]
    public async Task A_heartbeat_older_than_the_stale_limit_is_not_listed_and_is_removed()
    {
        var db = host.Redis.GetDatabase();
        var now = DateTimeOffset.UtcNow;
        var (stale, live) = ($"gone:{Guid.NewGuid():N}", $"here:{Guid.NewGuid():N}");
        await Workers.WriteAsync(db, new WorkerHeartbeat(stale, "gone", 1, ["synthetic"], ["integration-synthetic"], 2, 1, now.AddHours(-1), now.AddSeconds(-20)));
        await Workers.WriteAsync(db, new WorkerHeartbeat(live, "here", 2, ["synthetic"], ["integration-synthetic"], 0, 0, now.AddHours(-1), now));
        try
        {
            var listed = await Workers.ListAsync(db);

            Assert.Contains(listed, w => w.Id == live);
            Assert.DoesNotContain(listed, w => w.Id == stale);
            // Removed, not only hidden: a reader with a longer limit no longer finds it.
            Assert.DoesNotContain(await Workers.ListAsync(db, TimeSpan.FromDays(1)), w => w.Id == stale);
        }
        finally
        {
            await Workers.RemoveAsync(db, live);
            await Workers.RemoveAsync(db, stale);
        }
    }
}
