using Jobs.Contracts;
using Jobs.Integrator.ReadModel;
using StackExchange.Redis;

namespace Jobs.Reporting.Queries;

/// <summary>
/// Jobs the API accepted, Reporting's own record: the Integrator's read model holds a root only once the Integrator has
/// started it, so without this a job read right after <c>POST /jobs</c> would be 404 instead of Pending. Only Reporting
/// writes and reads these keys; they expire after <see cref="Lifetime"/>, long after the Integrator's record took over.
/// </summary>
public static class AcceptedJobs
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private const string PlatformField = "platform";
    private const string RetryOfField = "retryOf";

    private static RedisKey Key(Guid id) => $"reporting:accepted:{{{id:N}}}";

    public static async Task RecordAsync(IDatabaseAsync redis, Guid id, string platform, Guid? retryOf = null)
    {
        HashEntry[] fields = retryOf is { } original
            ? [new(PlatformField, platform), new(RetryOfField, original.ToString())]
            : [new(PlatformField, platform)];
        await Task.WhenAll(redis.HashSetAsync(Key(id), fields), redis.KeyExpireAsync(Key(id), Lifetime));
    }

    /// <summary>The job as the Integrator shows it; if it has not started it yet but the API accepted it, the job as Pending.</summary>
    public static async Task<RootJobView?> FindAsync(IDatabaseAsync redis, Guid id)
    {
        if (await RootJobReader.GetAsync(redis, id) is { } started) return started;
        var fields = await redis.HashGetAsync(Key(id), [PlatformField, RetryOfField]);
        if (fields[0].IsNull) return null;
        return new RootJobView(JobStatus.Pending, fields[0].ToString(), null, 0, 0, 0, null, null, null,
            Guid.TryParse(fields[1].ToString(), out var retryOf) ? retryOf : null, null, null);
    }
}
