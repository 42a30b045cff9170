using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Integrations.Synthetic;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// A batch whose process dies every time it runs it: the built Integrations service runs as a process on a virtual host and
/// database of its own, and is killed (SIGKILL: no shutdown, nothing acknowledged) while it runs the batch, then started again.
/// RabbitMQ hands the batch back each time; after <c>Integrations:MaxBatchStarts</c> such starts it is failed, not run again.
/// </summary>
[Collection(HostileInputs.Collection)]
public sealed class PoisonBatchTests(HostFixture host) : IClassFixture<HostFixture>
{
    private const int MaxStarts = 3;
    private const string FinishedQueue = "hostile-tests-child-jobs-finished";

    [Fact]
    public async Task A_batch_whose_process_is_killed_while_running_it_three_times_is_failed_with_the_reason_and_taken_off_the_queue()
    {
        var redis = host.Redis.GetDatabase();
        var platformBefore = await redis.HashGetAsync(PlatformCatalog.Key, "synthetic");
        var vhost = await Infrastructure.CreateVirtualHostAsync("hostile-poison");
        var database = await Infrastructure.CreateDatabaseAsync("hostile_poison");
        var root = Guid.NewGuid();
        var process = new ServiceProcess("Integrations", ServiceSystem.DllOf("Integrations"), new Dictionary<string, string>
        {
            [Connections.RabbitMqKey] = vhost.ToString(),
            [Connections.RedisKey] = await Infrastructure.RedisAsync(),
            [Connections.PostgresKey] = database,
            ["Integrations__Enabled__0"] = "synthetic",
            ["Integrations__MaxBatchStarts"] = MaxStarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        try
        {
            await process.StartAsync();
            await BrokerMessages.BindQueueAsync<ChildJobsFinished>(vhost, FinishedQueue);
            // A child that works for ten minutes: long enough to be killed in the middle of it every time.
            var child = new ChildJob(JobIds.Child(JobIds.Entry(root), 0), JobIds.Entry(root), root, 1, SyntheticIntegration.Child,
                JsonSerializer.SerializeToElement(new { work_ms = 600_000 }));
            await BrokerMessages.PublishAsync(vhost, IntegrationQueues.QueueName("synthetic"), new RunChildJobs(root, "synthetic", [child]));

            for (var start = 1; start <= MaxStarts; start++)
            {
                await Eventually.Until(async () => await Starts(), n => n == start, TimeSpan.FromSeconds(60),
                    $"start {start} of the batch\n{process.Tail(20)}");
                process.Kill();
                await process.StartAsync();
            }

            var finished = await Eventually.Until(() => BrokerMessages.TakeAsync(vhost, FinishedQueue), m => m.Count > 0, TimeSpan.FromSeconds(60),
                $"the batch's outcome\n{process.Tail(30)}");

            var outcome = Assert.Single(Assert.Single(finished).GetProperty("outcomes").EnumerateArray());
            Assert.Equal(child.ChildJobId, outcome.GetProperty("childJobId").GetGuid());
            Assert.False(outcome.GetProperty("succeeded").GetBoolean());
            Assert.Equal($"the batch was started {MaxStarts} times without finishing: the process running it stopped or hung " +
                         $"(Integrations:MaxBatchStarts is {MaxStarts}); it is not run again", outcome.GetProperty("error").GetString());
            Assert.Equal(0, outcome.GetProperty("attempts").GetInt32());
            // Moved aside: off the queue, its definition kept for retry-failed, its start count gone; the process runs on.
            Assert.Empty(await BrokerMessages.TakeAsync(vhost, IntegrationQueues.QueueName("synthetic")));
            Assert.True(await redis.HashExistsAsync(JobState.FailedKey(root), child.ChildJobId.ToString("N")));
            Assert.Equal(0, await Starts());
            Assert.True(process.IsRunning);
            Assert.Contains("failed as poison", process.Output());
        }
        finally
        {
            await process.DisposeAsync();
            await Infrastructure.DeleteVirtualHostAsync(vhost);
            await Infrastructure.DropDatabaseAsync(database);
            await redis.KeyDeleteAsync([JobState.FailedKey(root), JobState.RunningKey(root), ChildDefinitions.StartsKey(root), JobState.ProgressKey(root)]);
            if (platformBefore.IsNull) await redis.HashDeleteAsync(PlatformCatalog.Key, "synthetic");
            else await redis.HashSetAsync(PlatformCatalog.Key, "synthetic", platformBefore);
        }

        async Task<long> Starts()
        {
            var values = await redis.HashValuesAsync(ChildDefinitions.StartsKey(root));
            return values.Length == 0 ? 0 : (long)values[0];
        }
    }
}
