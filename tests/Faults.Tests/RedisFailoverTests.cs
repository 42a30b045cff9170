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
    /// <summary>A subreddit of this run only: its cursor in Redis is new (the Sentinels' Redis outlives a run outside CI).</summary>
    public static readonly string Subreddit = $"failover{Guid.NewGuid():N}"[..16];

    /// <summary>Reddit's API on loopback, with app credentials: its token is cached in Redis, and so is the subreddit's cursor.</summary>
    public FakeRedditApi Reddit { get; private set; } = null!;

    protected override async Task<ServiceSystem> StartAsync()
    {
        Reddit = await FakeRedditApi.StartAsync();
        Reddit.Credentials = ("failover-app", "failover-secret");
        return await StartServicesAsync();
    }

    /// <summary>A reddit job of the subreddit through the services, with the app credentials; its final status.</summary>
    public async Task<JsonElement> RedditRunAsync()
    {
        var id = await SubmitAsync(new
        {
            subreddits = new[] { Subreddit },
            api_base_url = Reddit.BaseUri.ToString().TrimEnd('/'),
            token_url = Reddit.TokenUri.ToString(),
            client_id = Reddit.Credentials!.Value.Id,
            client_secret = Reddit.Credentials!.Value.Secret,
        }, "reddit");
        return await WaitForEndAsync(id, TimeSpan.FromMinutes(2));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Reddit is not null) await Reddit.DisposeAsync();
    }

    private Task<ServiceSystem> StartServicesAsync()
    {
        if (!(Environment.GetEnvironmentVariable("REDIS_URL") ?? "").Contains("serviceName=", StringComparison.Ordinal))
            throw new InvalidOperationException("The Redis failover test needs the Sentinels of infra/sentinel.sh: run `make test-cluster`, or " +
                                                "`bash infra/sentinel.sh up` and export what `bash infra/sentinel.sh env` prints.");
        var settings = FaultSettings();
        settings["Redis__WaitForReplicas"] = "1";
        // The fake Reddit API listens on loopback, which the outbound policy refuses unless allowed; one request a second to it at
        // most, so that the rate limiter (a script on the Redis primary) has something to hold back after the failover.
        settings["Integrations__Http__Integrations__reddit__Outbound__AllowedNetworks__0"] = "127.0.0.0/8";
        settings["Integrations__Http__Integrations__reddit__ObeyRobots"] = "false";
        settings["Integrations__Http__Hosts__127.0.0.1__RequestsPerSecond"] = "1";
        settings["Integrations__Http__Hosts__127.0.0.1__Burst"] = "1";
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
        // Before the failover: a reddit run that leaves its cursor (the newest submission) and its app token in Redis.
        system.Reddit.Publish(RedisFailoverFixture.Subreddit, 3, comments: 0);
        var first = await system.RedditRunAsync();
        Assert.True(first.GetProperty("status").GetString() == "Completed", $"the first reddit run: {first}");
        var newest = system.Reddit.Fullnames(RedisFailoverFixture.Subreddit)[0];
        Assert.Equal(1, system.Reddit.TokensIssued);

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

        // The cursor, the token cache and the rate limiter, on the promoted primary: the next run asks only for what is newer than
        // the first run's newest submission, with the token fetched before the failover, its requests a second apart.
        system.Reddit.Publish(RedisFailoverFixture.Subreddit, 2, comments: 0);
        var before = system.Reddit.ListingRequests.Count;
        var second = await system.RedditRunAsync();
        Assert.True(second.GetProperty("status").GetString() == "Completed", $"the reddit run after the failover: {second}");
        var listings = system.Reddit.ListingRequests.Skip(before).ToList();
        Assert.NotEmpty(listings);
        Assert.Equal(newest, listings[0].Before);
        Assert.Equal(1, system.Reddit.TokensIssued);
        var requests = system.Reddit.Requests.Where(r => r.At >= listings[0].At).OrderBy(r => r.At).ToList();
        Assert.All(requests.Zip(requests.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(900),
            $"requests to the rate-limited host {(pair.Second.At - pair.First.At).TotalMilliseconds:0} ms apart"));

        await system.NextJobCompletesAsync();
        output.WriteLine($"reddit after the failover: {listings.Count} listing request(s) from before={newest}, {system.Reddit.TokensIssued} token issued in all");
        output.WriteLine($"primary {killed} killed ({run.CountedBefore} counted before) and {promoted} promoted by {promotedAt.TotalSeconds:0.0} s, " +
                         $"job Completed (10000/10000) at {run.EndedAt.TotalSeconds:0.0} s, the next job done at {run.Clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static Task<string> Sentinel(string arguments) => Servers.SentinelAsync(arguments);
}
