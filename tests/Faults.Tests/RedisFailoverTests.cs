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
        var settings = FaultSettings();
        settings["Redis__WaitForReplicas"] = "1";
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
        string killed = "", promoted = "";
        var promotedAt = TimeSpan.Zero;
        var run = await system.TenThousandSurviveAsync(100, async () =>
        {
            killed = (await Sentinel("kill-primary")).Trim();
            promoted = await Eventually.Until(async () => (await Sentinel("primary")).Trim(), p => p.Length > 0 && p != killed, TimeSpan.FromSeconds(60),
                "the Sentinels to promote the replica");
        });
        promotedAt = run.FaultAt;

        // The old primary back, as a replica of the new one.
        await Sentinel($"start {killed}");

        // Keys made after the failover work (they live in Redis, and so does the rate limiter every request goes through).
        var created = await system.Api.PostAsJsonAsync("keys", new { name = "after-failover", role = "user" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using var user = new HttpClient { BaseAddress = system.Api.BaseAddress };
        user.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync($"jobs/{run.Id}")).StatusCode);

        await system.NextJobCompletesAsync();
        output.WriteLine($"primary {killed} killed ({run.CountedBefore} counted before) and {promoted} promoted by {promotedAt.TotalSeconds:0.0} s, " +
                         $"job Completed (10000/10000) at {run.EndedAt.TotalSeconds:0.0} s, the next job done at {run.Clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static Task<string> Sentinel(string arguments) => Servers.SentinelAsync(arguments);
}
