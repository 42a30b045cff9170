using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;
using Xunit.Abstractions;

namespace Jobs.Faults.Tests;

/// <summary>
/// The five services on the Redis of <c>infra/sentinel.sh</c> (a primary, a replica, three Sentinels; <c>REDIS_URL</c> names the
/// Sentinels and the service) with <c>Redis:WaitForReplicas=1</c>, on the broker of <c>RABBITMQ_URL</c>.
/// </summary>
public sealed class RedisFailoverFixture : FaultSystem
{
    protected override Task<ServiceSystem> StartAsync()
    {
        if (!(Environment.GetEnvironmentVariable("REDIS_URL") ?? "").Contains("serviceName=", StringComparison.Ordinal))
            throw new InvalidOperationException("The Redis failover test needs the Sentinels of infra/sentinel.sh: run `make test-cluster`, or " +
                                                "`bash infra/sentinel.sh up` and export what `bash infra/sentinel.sh env` prints.");
        var settings = new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Redis__WaitForReplicas"] = "1",
        };
        if (Jobs.ServiceDefaults.Connections.RabbitMq(Environment.GetEnvironmentVariable("RABBITMQ_URL") ?? "amqp://localhost/").Nodes.Count > 1)
            settings["RabbitMq__QueueType"] = "Quorum";
        return ServiceSystem.StartAsync("redisfailover", settings);
    }
}

[CollectionDefinition(Name)]
public sealed class RedisFailoverCollection : ICollectionFixture<RedisFailoverFixture>
{
    public const string Name = "redis-failover";
}

/// <summary>
/// The Redis primary killed (-9) mid-job: the Sentinels promote the replica, the services follow it, and because every message
/// waits for the replica before it is acknowledged, no count the old primary took is lost: the job ends with exactly 10,000.
/// </summary>
[Collection(RedisFailoverCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class RedisFailoverTests(RedisFailoverFixture system, ITestOutputHelper output)
{
    [Fact]
    public async Task The_primary_killed_mid_job_the_replica_promoted_the_10000_child_job_ends_exact_and_keys_and_jobs_work_afterwards()
    {
        await system.BaselineConsumersAsync();
        var clock = Stopwatch.StartNew();
        var id = await system.SubmitAsync(new { children = 10_000, work_ms = 100 });
        var progress = await Eventually.Until(() => system.StatusAsync(id), j => OutageTests.Completed(j) >= 1000, TimeSpan.FromMinutes(5), "the first 1,000 children");
        Assert.True(OutageTests.Completed(progress) < 10_000, "the job finished before the kill");

        var killed = (await Sentinel("kill-primary")).Trim();
        var killedAt = clock.Elapsed;
        var promoted = await Eventually.Until(async () => (await Sentinel("primary")).Trim(), p => p.Length > 0 && p != killed, TimeSpan.FromSeconds(60),
            "the Sentinels to promote the replica");
        var promotedAt = clock.Elapsed;

        var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(8));
        var ended = clock.Elapsed;
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((10_000L, 10_000L, 0L), OutageTests.Counts(job));
        var audited = await Eventually.Until(
            () => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1 AND status = 'Completed'", id),
            n => n >= 10_000, TimeSpan.FromSeconds(60), "every child in the audit trail");
        Assert.Equal(10_000, audited);

        // The old primary back, as a replica of the new one.
        await Sentinel($"start {killed}");

        // Keys made after the failover work (they live in Redis), and so does the rate limiter (in Redis too).
        var created = await system.Api.PostAsJsonAsync("keys", new { name = "after-failover", role = "user" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using var user = new HttpClient { BaseAddress = system.Api.BaseAddress };
        user.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync($"jobs/{id}")).StatusCode);

        var next = await system.SubmitAsync(new { children = 50 });
        var nextJob = await system.WaitForEndAsync(next, TimeSpan.FromSeconds(90));
        Assert.Equal("Completed", nextJob.GetProperty("status").GetString());
        Assert.Equal((50L, 50L, 0L), OutageTests.Counts(nextJob));
        output.WriteLine($"primary {killed} killed at {killedAt.TotalSeconds:0.0} s ({OutageTests.Completed(progress)} counted before), {promoted} promoted by " +
                         $"{promotedAt.TotalSeconds:0.0} s, job Completed (10000/10000) at {ended.TotalSeconds:0.0} s, the next job done at {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static Task<string> Sentinel(string arguments) => Servers.SentinelAsync(arguments);
}
