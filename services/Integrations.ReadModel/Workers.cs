using System.Text.Json;
using StackExchange.Redis;

namespace Jobs.Integrations.ReadModel;

/// <summary>
/// What one Integrations process last said of itself: the platforms it hosts, the integration queues it consumes, the children it is
/// running now and how many finished per second over its rate window (<c>Integrations:Heartbeat:RateWindow</c>, 15 s by default).
/// </summary>
public sealed record WorkerHeartbeat(
    string Id,
    string Host,
    int Pid,
    IReadOnlyList<string> Platforms,
    IReadOnlyList<string> Queues,
    long InFlight,
    double ChildrenPerSecond,
    DateTimeOffset StartedAt,
    DateTimeOffset SeenAt);

/// <summary>The live Integrations processes, from their heartbeats, for every other service.</summary>
public static class Workers
{
    /// <summary>A heartbeat older than this (three of the default 5 s intervals) is a process that is gone.</summary>
    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromSeconds(15);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The processes seen within <paramref name="staleAfter"/> (default <see cref="DefaultStaleAfter"/>), by id. The field of a process
    /// not seen for longer (killed without a graceful stop) is removed, only if it still holds the heartbeat read here.
    /// </summary>
    public static async Task<IReadOnlyList<WorkerHeartbeat>> ListAsync(IDatabaseAsync redis, TimeSpan? staleAfter = null)
    {
        var limit = DateTimeOffset.UtcNow - (staleAfter ?? DefaultStaleAfter);
        var live = new List<WorkerHeartbeat>();
        var stale = new List<HashEntry>();
        foreach (var entry in await redis.HashGetAllAsync(WorkerKeys.HeartbeatsKey))
        {
            var heartbeat = Parse(entry.Value);
            if (heartbeat is not null && heartbeat.SeenAt >= limit) live.Add(heartbeat);
            else stale.Add(entry);
        }

        foreach (var entry in stale) await DeleteIfUnchangedAsync(redis, entry);
        return live.OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Writes this process's heartbeat (Integrations only).</summary>
    internal static Task WriteAsync(IDatabaseAsync redis, WorkerHeartbeat heartbeat) =>
        redis.HashSetAsync(WorkerKeys.HeartbeatsKey, heartbeat.Id, JsonSerializer.Serialize(heartbeat, Json));

    /// <summary>Removes this process's heartbeat (Integrations only, when it stops).</summary>
    internal static Task RemoveAsync(IDatabaseAsync redis, string id) => redis.HashDeleteAsync(WorkerKeys.HeartbeatsKey, id);

    private static WorkerHeartbeat? Parse(RedisValue value)
    {
        try
        {
            return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<WorkerHeartbeat>(value.ToString(), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // A process that wrote again since the read keeps its field: compare and delete in one step.
    private const string DeleteIfUnchanged = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
        return 0
        """;

    private static Task DeleteIfUnchangedAsync(IDatabaseAsync redis, HashEntry entry) =>
        redis.ScriptEvaluateAsync(DeleteIfUnchanged, [WorkerKeys.HeartbeatsKey], [entry.Name, entry.Value]);
}
