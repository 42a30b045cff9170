using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Integrations.ReadModel;

/// <summary>The progress the runs of a root reported: rows (each run's latest figure, summed), the latest message and when.</summary>
public sealed record RunProgress(long Rows, string? Message, DateTimeOffset? At);

/// <summary>A dataset a run stored for debugging (<c>original</c>, <c>processed</c>), as JSON.</summary>
public sealed record RunDataset(Guid JobId, string Name, string Json);

/// <summary>The Integrations' records of a root's runs, for every other service: readers only.</summary>
public static class Runs
{
    /// <summary>Progress, datasets and the definitions of failed and running children are kept this long after their last write.</summary>
    public static readonly TimeSpan DetailsLifetime = TimeSpan.FromDays(7);

    public static async Task<RunProgress> ProgressAsync(IDatabaseAsync redis, Guid rootJobId)
    {
        var fields = await redis.HashGetAsync(RunKeys.ProgressKey(rootJobId), [RunKeys.ProgressRows, RunKeys.ProgressMessage, RunKeys.ProgressAt]);
        return new RunProgress(fields[0].IsNullOrEmpty ? 0 : (long)fields[0], fields[1].IsNullOrEmpty ? null : fields[1].ToString(), Time(fields[2]));
    }

    /// <summary>When a run of the root last reported progress, or null.</summary>
    public static async Task<DateTimeOffset?> LastProgressAtAsync(IDatabaseAsync redis, Guid rootJobId) =>
        Time(await redis.HashGetAsync(RunKeys.ProgressKey(rootJobId), RunKeys.ProgressAt));

    /// <summary>The datasets the root's runs stored, ordered by job id and name.</summary>
    public static async Task<IReadOnlyList<RunDataset>> DatasetsAsync(IDatabaseAsync redis, Guid rootJobId) =>
        (await redis.HashGetAllAsync(RunKeys.DatasetsKey(rootJobId)))
            .Select(e => (Field: e.Name.ToString().Split('/', 2), e.Value))
            .Where(e => e.Field.Length == 2 && Guid.TryParse(e.Field[0], out _))
            .Select(e => new RunDataset(Guid.Parse(e.Field[0]), e.Field[1], e.Value.ToString()))
            .OrderBy(d => d.JobId).ThenBy(d => d.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>How many failed children of the root have their definitions recorded (what a retry would run again).</summary>
    public static Task<long> FailedCountAsync(IDatabaseAsync redis, Guid rootJobId) => redis.HashLengthAsync(RunKeys.FailedKey(rootJobId));

    /// <summary>For each of <paramref name="childJobIds"/>: its definition if it is being run now, else null.</summary>
    public static async Task<ChildJob?[]> RunningAsync(IDatabaseAsync redis, Guid rootJobId, IReadOnlyList<Guid> childJobIds)
    {
        var values = await redis.HashGetAsync(RunKeys.RunningKey(rootJobId), childJobIds.Select(id => (RedisValue)id.ToString("N")).ToArray());
        return values.Select(v => v.IsNullOrEmpty ? null : JsonSerializer.Deserialize<ChildJob>(v.ToString())).ToArray();
    }

    /// <summary>The definitions of every child of the root being run now (one read of the running record), in no particular order.</summary>
    public static async Task<IReadOnlyList<ChildJob>> RunningChildrenAsync(IDatabaseAsync redis, Guid rootJobId) =>
        (await redis.HashValuesAsync(RunKeys.RunningKey(rootJobId)))
            .Where(v => !v.IsNullOrEmpty)
            .Select(v => JsonSerializer.Deserialize<ChildJob>(v.ToString()))
            .OfType<ChildJob>()
            .ToList();

    private static DateTimeOffset? Time(RedisValue value) =>
        DateTimeOffset.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : null;
}
