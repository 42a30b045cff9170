using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Synthetic;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// A batch whose process dies every time it runs it: the built Integrations service runs as a process (<see cref="IsolatedIntegrations"/>)
/// and is killed (SIGKILL: no shutdown, nothing acknowledged) while it runs the batch, then started again. RabbitMQ hands the
/// batch back each time; after <c>Integrations:MaxBatchStarts</c> such starts it is failed, not run again.
/// </summary>
[Collection(HostileInputs.Collection)]
public sealed class PoisonBatchTests(HostFixture host) : IClassFixture<HostFixture>
{
    private const int MaxStarts = 3;

    [Fact]
    public async Task A_batch_whose_process_is_killed_while_running_it_three_times_is_failed_with_the_reason_and_taken_off_the_queue()
    {
        var redis = host.Redis.GetDatabase();
        var root = Guid.NewGuid();
        await using var integrations = await IsolatedIntegrations.StartAsync(host, "synthetic", new Dictionary<string, string>
        {
            ["Integrations__MaxBatchStarts"] = MaxStarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var process = integrations.Process;
        try
        {
            // A child that works for ten minutes: long enough to be killed in the middle of it every time.
            var child = new ChildJob(JobIds.Child(JobIds.Entry(root), 0), JobIds.Entry(root), root, 1, SyntheticIntegration.Child,
                JsonSerializer.SerializeToElement(new { work_ms = 600_000 }));
            await integrations.SendAsync(new RunChildJobs(root, "synthetic", [child]));

            for (var start = 1; start <= MaxStarts; start++)
            {
                await Eventually.Until(async () => await Starts(), n => n == start, TimeSpan.FromSeconds(60),
                    $"start {start} of the batch\n{process.Tail(20)}");
                process.Kill();
                await process.StartAsync();
            }

            var outcome = Assert.Single(await integrations.FinishedAsync(TimeSpan.FromSeconds(60)));

            Assert.Equal(child.ChildJobId, outcome.GetProperty("childJobId").GetGuid());
            Assert.False(outcome.GetProperty("succeeded").GetBoolean());
            Assert.Equal($"the batch was started {MaxStarts} times without finishing: the process running it stopped or hung " +
                         $"(Integrations:MaxBatchStarts is {MaxStarts}); it is not run again", outcome.GetProperty("error").GetString());
            Assert.Equal(0, outcome.GetProperty("attempts").GetInt32());
            // Moved aside: off the queue, its definition kept for retry-failed, its start count gone; the process runs on.
            Assert.Empty(await BrokerMessages.TakeAsync(integrations.VirtualHost, IntegrationQueues.QueueName("synthetic")));
            Assert.True(await redis.HashExistsAsync(RunKeys.FailedKey(root), child.ChildJobId.ToString("N")));
            Assert.Equal(0, await Starts());
            Assert.True(process.IsRunning);
            Assert.Contains("failed as poison", process.Output());
        }
        finally
        {
            await redis.KeyDeleteAsync([RunKeys.FailedKey(root), RunKeys.RunningKey(root), RunKeys.BatchStartsKey(root), RunKeys.ProgressKey(root)]);
        }

        async Task<long> Starts()
        {
            var values = await redis.HashValuesAsync(RunKeys.BatchStartsKey(root));
            return values.Length == 0 ? 0 : (long)values[0];
        }
    }
}
