using StackExchange.Redis;

namespace Jobs.TestSupport;

/// <summary>Removes what a test wrote to the shared Redis under its own prefix.</summary>
public static class RedisKeys
{
    public static async Task DeleteByPrefixAsync(IConnectionMultiplexer redis, string prefix)
    {
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            await foreach (var key in server.KeysAsync(pattern: prefix + "*")) await redis.GetDatabase().KeyDeleteAsync(key);
        }
    }
}
