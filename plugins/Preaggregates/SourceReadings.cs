using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// How each <c>read-source</c> child hands its reading to the <c>synchronize</c> continuation, which only gets settings:
/// a Redis hash per root job (field = source). It is left to expire rather than deleted, so a redelivered continuation
/// computes the same result again.
/// </summary>
internal static class SourceReadings
{
    public static readonly TimeSpan Keep = TimeSpan.FromHours(6);

    public static string Key(Guid rootJobId) => $"preaggregates:run:{rootJobId:N}";

    public static async Task SaveAsync(IDatabase redis, Guid rootJobId, PreaggregatesSource reading)
    {
        var key = Key(rootJobId);
        await redis.HashSetAsync(key, reading.Name, JsonSerializer.Serialize(reading, JsonSerializerOptions.Web));
        await redis.KeyExpireAsync(key, Keep);
    }

    public static async Task<IReadOnlyDictionary<string, PreaggregatesSource>> LoadAsync(IDatabase redis, Guid rootJobId)
    {
        var entries = await redis.HashGetAllAsync(Key(rootJobId));
        return entries.ToDictionary(
            e => e.Name.ToString(),
            e => JsonSerializer.Deserialize<PreaggregatesSource>(e.Value.ToString(), JsonSerializerOptions.Web)!,
            StringComparer.Ordinal);
    }
}
