using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// What <c>POST /jobs/{id}/retry-failed</c> needs: the definitions of the children that failed, recorded when they
/// fail (<see cref="JobState.FailedKey"/>), and the built-in entry run that spawns them again in a new root job.
/// </summary>
public static class FailedChildren
{
    /// <summary>Records the failed children of a batch (one write, nothing when all succeeded). A redelivery writes the same fields.</summary>
    public static async Task RecordAsync(IDatabase redis, RunChildJobs batch, IReadOnlyList<ChildJobOutcome> outcomes)
    {
        var failed = new List<HashEntry>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            var job = batch.Children[i];
            // The retry entry itself is not a child of the job's data: re-running it would only repeat the retry.
            if (!outcomes[i].Succeeded && job.Task != IntegrationTasks.RetryFailed)
                failed.Add(new HashEntry(job.ChildJobId.ToString("N"), JsonSerializer.Serialize(job)));
        }

        if (failed.Count == 0) return;
        var key = JobState.FailedKey(batch.RootJobId);
        var transaction = redis.CreateTransaction();
        _ = transaction.HashSetAsync(key, failed.ToArray());
        _ = transaction.KeyExpireAsync(key, JobState.DetailsLifetime);
        await transaction.ExecuteAsync();
    }

    /// <summary>The entry run of a retry: spawns every recorded failed child of <c>retry_of</c>, in child id order (so a re-run spawns the same ids).</summary>
    public static async Task SpawnAgainAsync(JobContext context)
    {
        var retryOf = context.Settings.TryGetProperty("retry_of", out var value) && value.TryGetGuid(out var id)
            ? id
            : throw new InvalidOperationException($"retry job {context.RootJobId} names no 'retry_of' job");
        var recorded = await context.Redis.HashGetAllAsync(JobState.FailedKey(retryOf));
        if (recorded.Length == 0)
            throw new InvalidOperationException(
                $"no failed children of job {retryOf} are recorded (they are kept {JobState.DetailsLifetime.TotalDays:0} days; timed-out children have none)");
        foreach (var entry in recorded.OrderBy(e => e.Name.ToString(), StringComparer.Ordinal))
        {
            var job = JsonSerializer.Deserialize<ChildJob>(entry.Value.ToString())
                      ?? throw new InvalidOperationException($"failed child {entry.Name} of job {retryOf} is recorded empty");
            context.SpawnChild(job.Task, job.Settings);
        }

        context.Logger.LogInformation("Retrying {Count} failed children of job {RetryOf}", recorded.Length, retryOf);
    }
}
