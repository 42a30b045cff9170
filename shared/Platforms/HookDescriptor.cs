using StackExchange.Redis;

namespace Jobs.Platforms;

/// <summary>A hook as the rest of the system sees it (<c>GET /hooks</c>): its name, what it does, the phases it may run in and its settings.</summary>
/// <param name="Phases"><c>pre</c> (before the job's entry run), <c>post</c> (once it has its final counts), or both.</param>
public record HookDescriptor(string Name, string Description, IReadOnlyList<string> Phases, IReadOnlyList<SettingDescriptor> Settings);

/// <summary>The hooks the running Integrations hosts define, in the Redis hash <c>hooks</c>, published at start like the platforms.</summary>
public sealed class HookCatalog(IConnectionMultiplexer redis) : RedisCatalog<HookDescriptor>(redis, Key, h => h.Name)
{
    public const string Key = "hooks";
}
