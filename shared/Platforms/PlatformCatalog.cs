using System.Text.Json;
using StackExchange.Redis;

namespace Jobs.Platforms;

/// <summary>
/// The platforms known to the running Integrations hosts, kept in the Redis hash <c>platforms</c>
/// (field = platform name, value = descriptor JSON). Hosts publish at start; the API and the
/// <c>jobs.start</c> endpoint read it to validate requests.
/// </summary>
public sealed class PlatformCatalog(IConnectionMultiplexer redis)
{
    public const string Key = "platforms";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task PublishAsync(IEnumerable<PlatformDescriptor> platforms) =>
        redis.GetDatabase().HashSetAsync(Key,
            platforms.Select(p => new HashEntry(p.Name, JsonSerializer.Serialize(p, Json))).ToArray());

    public async Task<PlatformDescriptor?> FindAsync(string name)
    {
        var value = await redis.GetDatabase().HashGetAsync(Key, name);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<PlatformDescriptor>(value.ToString(), Json);
    }

    public async Task<IReadOnlyList<PlatformDescriptor>> ListAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Key);
        return entries.Select(e => JsonSerializer.Deserialize<PlatformDescriptor>(e.Value.ToString(), Json)!)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
    }
}
