using System.Text.Json;
using StackExchange.Redis;

namespace Jobs.Platforms;

/// <summary>
/// Descriptors the Integrations hosts publish at start into one Redis hash (field = name, value = descriptor JSON), read by the
/// API and the <c>jobs.start</c> endpoint to validate requests: <see cref="PlatformCatalog"/> and <see cref="HookCatalog"/>.
/// </summary>
public abstract class RedisCatalog<T>(IConnectionMultiplexer redis, string key, Func<T, string> nameOf) where T : class
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task PublishAsync(IEnumerable<T> descriptors) =>
        redis.GetDatabase().HashSetAsync(key, descriptors.Select(d => new HashEntry(nameOf(d), JsonSerializer.Serialize(d, Json))).ToArray());

    public async Task<T?> FindAsync(string name)
    {
        var value = await redis.GetDatabase().HashGetAsync(key, name);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<T>(value.ToString(), Json);
    }

    public async Task<IReadOnlyList<T>> ListAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(key);
        return entries.Select(e => JsonSerializer.Deserialize<T>(e.Value.ToString(), Json)!)
            .OrderBy(nameOf, StringComparer.Ordinal)
            .ToList();
    }
}
