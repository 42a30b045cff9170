using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Xunit.Abstractions;

namespace Jobs.Faults.Tests;

/// <summary>Two processes of every service side by side, on the broker of <c>RABBITMQ_URL</c> (the cluster, in <c>make test</c>).</summary>
public sealed class ScaleOutFixture : FaultSystem
{
    protected override Task<ServiceSystem> StartAsync()
    {
        var settings = new Dictionary<string, string> { ["Schedules__0__Enabled"] = "false" };
        if (Connections.RabbitMq(Environment.GetEnvironmentVariable(Connections.RabbitMqKey) ?? "amqp://localhost/").Nodes.Count > 1)
            settings["RabbitMq__QueueType"] = nameof(RabbitMqQueueType.Quorum);
        return ServiceSystem.StartAsync("scaleout", settings, instances: 2);
    }
}

[CollectionDefinition(Name)]
public sealed class ScaleOutCollection : ICollectionFixture<ScaleOutFixture>
{
    public const string Name = "scale-out";
}

/// <summary>
/// Several instances of each service: two Integrators share the saga and the ledger, two Auditors neither double-write nor
/// double-sweep, two Reportings answer alike, and a SIGKILL of one instance of every service mid-job loses and doubles nothing.
/// </summary>
[Collection(ScaleOutCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ScaleOutTests(ScaleOutFixture system, ITestOutputHelper output)
{
    [Fact]
    public async Task With_two_of_each_service_a_10000_child_job_survives_a_SIGKILL_of_one_instance_of_every_service_counted_and_audited_once()
    {
        await system.BaselineConsumersAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var id = await system.SubmitAsync(new { children = 10_000, work_ms = 200 });
        var progress = await Eventually.Until(() => system.StatusAsync(id), j => OutageTests.Completed(j) >= 1000, TimeSpan.FromMinutes(5), "the first 1,000 children");
        Assert.True(OutageTests.Completed(progress) < 10_000, "the job finished before the kills");

        // One of each, the API's own Reporting among them: the rest of the test talks to the other one.
        foreach (var service in ServiceSystem.Names) system[service].Kill();
        system.UseApiOf("Reporting-2");
        var killedAt = clock.Elapsed;

        var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(8));
        var ended = clock.Elapsed;
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((10_000L, 10_000L, 0L), OutageTests.Counts(job));

        // Audited once each: one row per child (the Auditors do not double-write) and one root, as it ended.
        var audited = await Eventually.Until(async () => (
                Rows: await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1", id),
                Completed: await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1 AND status = 'Completed'", id),
                Roots: await system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Completed' AND completed = 10000", id)),
            a => a.Completed >= 10_000 && a.Roots == 1, TimeSpan.FromSeconds(60), "the audit trail of the job");
        Assert.Equal(10_000, audited.Rows);
        Assert.Equal(10_000, audited.Completed);
        Assert.Equal(1, audited.Roots);

        // The survivors run the next job alone.
        var next = await system.SubmitAsync(new { children = 50 });
        var nextJob = await system.WaitForEndAsync(next, TimeSpan.FromSeconds(90));
        Assert.Equal("Completed", nextJob.GetProperty("status").GetString());
        Assert.Equal((50L, 50L, 0L), OutageTests.Counts(nextJob));
        output.WriteLine($"one instance of each service killed at {killedAt.TotalSeconds:0.0} s ({OutageTests.Completed(progress)} counted before), " +
                         $"job Completed (10000/10000) at {ended.TotalSeconds:0.0} s, the next job done at {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
