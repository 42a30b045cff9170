using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Reporting.Security;

/// <param name="Platforms">The platforms the key is scoped to (<see cref="KeyScope"/>); null: every platform.</param>
/// <param name="Schedules">The schedule names (or prefixes ending in <c>*</c>) the caller may see, from its role
/// (<see cref="SecurityOptions.RoleSchedules"/>); null: every schedule. Not stored: set when the key is looked up.</param>
public sealed record ApiKeyInfo(string Id, string Name, string Role, DateTimeOffset CreatedAt, IReadOnlyList<string>? Platforms = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<string>? Schedules = null);

/// <summary>
/// API keys, stored hashed (SHA-256) in the Redis hash <c>apikeys</c>; the key itself is shown once, when
/// created. The administrator key of <c>Security:AdminKey</c> (role internal) is never stored.
/// </summary>
public sealed class ApiKeys(IConnectionMultiplexer redis, IOptions<SecurityOptions> options)
{
    public const string Key = "apikeys";
    public const string Internal = "internal";
    public const string Service = "service";
    public const string User = "user";
    public static readonly string[] Roles = [Internal, Service, User];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string? _adminHash = options.Value.AdminKey is { Length: > 0 } admin ? Hash(admin) : null;

    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public Task<ApiKeyInfo?> FindAsync(string key) => FindByHashAsync(Hash(key));

    /// <summary>The key whose hash is <paramref name="hash"/>, while it exists (a console session holds the hash, never the key).</summary>
    public async Task<ApiKeyInfo?> FindByHashAsync(string hash)
    {
        if (_adminHash is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(_adminHash)))
            return new ApiKeyInfo("admin", "administrator (Security:AdminKey)", Internal, DateTimeOffset.MinValue);
        var value = await redis.GetDatabase().HashGetAsync(Key, hash);
        if (value.IsNullOrEmpty || JsonSerializer.Deserialize<ApiKeyInfo>(value.ToString(), Json) is not { } info) return null;
        // The caller's scope: the key's own platforms within those its role is limited to (Security:RolePlatforms).
        return info with { Platforms = options.Value.ScopeOf(info.Role, info.Platforms), Schedules = options.Value.SchedulesOf(info.Role) };
    }

    /// <summary>Creates a key; returns its info and the key, which is not kept.</summary>
    public async Task<(ApiKeyInfo Info, string Key)> CreateAsync(string name, string role, IReadOnlyList<string>? platforms = null)
    {
        var key = "jk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var info = new ApiKeyInfo(Guid.NewGuid().ToString("N")[..12], name, role, DateTimeOffset.UtcNow, platforms);
        await redis.GetDatabase().HashSetAsync(Key, Hash(key), JsonSerializer.Serialize(info, Json));
        return (info, key);
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync() =>
        (await redis.GetDatabase().HashGetAllAsync(Key))
        .Select(e => JsonSerializer.Deserialize<ApiKeyInfo>(e.Value.ToString(), Json)!)
        .OrderBy(k => k.CreatedAt)
        .ToList();

    /// <summary>Revokes key <paramref name="id"/> if <paramref name="may"/> allows it (false: as if there were no such key).</summary>
    public async Task<bool> DeleteAsync(string id, Func<ApiKeyInfo, bool>? may = null)
    {
        var db = redis.GetDatabase();
        foreach (var entry in await db.HashGetAllAsync(Key))
        {
            var info = JsonSerializer.Deserialize<ApiKeyInfo>(entry.Value.ToString(), Json)!;
            if (info.Id == id) return (may?.Invoke(info) ?? true) && await db.HashDeleteAsync(Key, entry.Name);
        }

        return false;
    }
}
