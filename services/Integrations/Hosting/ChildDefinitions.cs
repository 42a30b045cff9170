using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

using Jobs.Plugins;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// The definitions of children kept in Redis so they can be run again: while a batch runs
/// (<see cref="RunKeys.RunningKey"/>, re-sent by the Integrator when one times out under the retry policy) and
/// once they failed (<see cref="RunKeys.FailedKey"/>, for <c>POST /jobs/{id}/retry-failed</c>, whose built-in
/// entry run is <see cref="SpawnAgainAsync"/>).
/// </summary>
public static class ChildDefinitions
{

    /// <summary>
    /// Records a batch as running, counts this start of <paramref name="delivery"/> (unless <paramref name="countStart"/> is false:
    /// an in-process retry of the same start) and reads its root's status, failure (<see cref="RootJobGate.Failure"/>) and failure
    /// policy, in one round trip (the batch of a root that was cancelled, has ended or is failing is not run;
    /// <see cref="RecordFinishedAsync"/> takes it off the running ones either way).
    /// </summary>
    public static async Task<(RootJobGate Root, long Starts)> RecordRunningAsync(IDatabase redis, RunChildJobs batch, string delivery, bool countStart = true)
    {
        var key = RunKeys.RunningKey(batch.RootJobId);
        var transaction = redis.CreateTransaction();
        var root = RootJobReader.GateAsync(transaction, batch.RootJobId);
        _ = transaction.HashSetAsync(key, batch.Children.Select(c => new HashEntry(c.ChildJobId.ToString("N"), JsonSerializer.Serialize(c))).ToArray());
        _ = transaction.KeyExpireAsync(key, Runs.DetailsLifetime);
        var starts = transaction.HashIncrementAsync(RunKeys.BatchStartsKey(batch.RootJobId), delivery, countStart ? 1 : 0);
        _ = transaction.KeyExpireAsync(RunKeys.BatchStartsKey(batch.RootJobId), Runs.DetailsLifetime);
        await transaction.ExecuteAsync();
        return (await root, await starts);
    }

    /// <summary>
    /// Records a batch as ended: no longer running, and the failed children's definitions kept (one write). A
    /// redelivery writes the same fields.
    /// </summary>
    public static async Task RecordFinishedAsync(IDatabase redis, RunChildJobs batch, IReadOnlyList<ChildJobOutcome> outcomes, string delivery)
    {
        var failed = new List<HashEntry>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            var job = batch.Children[i];
            // The retry entry itself is not a child of the job's data: re-running it would only repeat the retry.
            if (!outcomes[i].Succeeded && job.Task != IntegrationTasks.RetryFailed)
                failed.Add(new HashEntry(job.ChildJobId.ToString("N"), JsonSerializer.Serialize(job)));
        }

        var transaction = redis.CreateTransaction();
        _ = transaction.HashDeleteAsync(RunKeys.RunningKey(batch.RootJobId), batch.Children.Select(c => (RedisValue)c.ChildJobId.ToString("N")).ToArray());
        _ = transaction.HashDeleteAsync(RunKeys.BatchStartsKey(batch.RootJobId), delivery);
        if (failed.Count > 0)
        {
            var key = RunKeys.FailedKey(batch.RootJobId);
            _ = transaction.HashSetAsync(key, failed.ToArray());
            _ = transaction.KeyExpireAsync(key, Runs.DetailsLifetime);
        }

        await transaction.ExecuteAsync();
    }

    /// <summary>The entry run of a retry: spawns every recorded failed child of <c>retry_of</c>, in child id order (so a re-run spawns the same ids).</summary>
    public static async Task SpawnAgainAsync(JobContext context)
    {
        var retryOf = context.Settings.TryGetProperty("retry_of", out var value) && value.TryGetGuid(out var id)
            ? id
            : throw new InvalidOperationException($"retry job {context.RootJobId} names no 'retry_of' job");
        var recorded = await context.Redis.HashGetAllAsync(RunKeys.FailedKey(retryOf));
        if (recorded.Length == 0)
            throw new InvalidOperationException(
                $"no failed children of job {retryOf} are recorded (they are kept {Runs.DetailsLifetime.TotalDays:0} days; timed-out children have none)");
        foreach (var entry in recorded.OrderBy(e => e.Name.ToString(), StringComparer.Ordinal))
        {
            var job = JsonSerializer.Deserialize<ChildJob>(entry.Value.ToString())
                      ?? throw new InvalidOperationException($"failed child {entry.Name} of job {retryOf} is recorded empty");
            context.SpawnChild(job.Task, job.Settings);
        }

        context.Logger.LogInformation("Retrying {Count} failed children of job {RetryOf}", recorded.Length, retryOf);
    }
}
