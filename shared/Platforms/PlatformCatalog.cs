using StackExchange.Redis;

namespace Jobs.Platforms;

/// <summary>
/// The platforms known to the running Integrations hosts, kept in the Redis hash <c>platforms</c>
/// (field = platform name, value = descriptor JSON). Hosts publish at start; the API and the
/// <c>jobs.start</c> endpoint read it to validate requests.
/// </summary>
public sealed class PlatformCatalog(IConnectionMultiplexer redis) : RedisCatalog<PlatformDescriptor>(redis, Key, p => p.Name)
{
    public const string Key = "platforms";
}
