using System.Text.Json;
using MassTransit;
using StackExchange.Redis;

namespace Jobs.Integrator.Persistence;

/// <summary>
/// Saga instances as Redis hashes <c>{prefix}{id}</c> = { v: version, d: JSON }. Inserts are atomic
/// create-if-absent, updates and deletes compare the version and swap in one Lua script; a lost race
/// throws <see cref="ConcurrencyException"/> so the message is retried against the fresh instance.
/// </summary>
public sealed class RedisSagaStore<TSaga>(IConnectionMultiplexer redis, RedisSagaOptions<TSaga> options)
    where TSaga : class, ISagaVersion
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private const string InsertScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
        if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
        return 1
        """;

    private const string UpdateScript = """
        local current = redis.call('HGET', KEYS[1], 'v')
        if current ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
        if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
        return 1
        """;

    private const string DeleteScript = """
        local current = redis.call('HGET', KEYS[1], 'v')
        if current ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    private IDatabase Database => redis.GetDatabase();

    private RedisKey Key(Guid id) => options.KeyPrefix + id.ToString("N");

    private long ExpiryMs => (long)(options.Expiry?.TotalMilliseconds ?? 0);

    public async Task<TSaga?> LoadAsync(Guid correlationId)
    {
        var values = await Database.HashGetAsync(Key(correlationId), ["v", "d"]);
        if (values[1].IsNullOrEmpty) return null;
        var instance = JsonSerializer.Deserialize<TSaga>(values[1].ToString(), Json)
                       ?? throw new InvalidOperationException($"Saga {correlationId} could not be read");
        instance.Version = (int)values[0];
        return instance;
    }

    public async Task InsertAsync(TSaga instance)
    {
        instance.Version = 1;
        var inserted = (int)await Database.ScriptEvaluateAsync(InsertScript, [Key(instance.CorrelationId)],
            [instance.Version, Serialize(instance), ExpiryMs]);
        if (inserted == 0)
            throw new ConcurrencyException($"Saga {typeof(TSaga).Name} {instance.CorrelationId} already exists", typeof(TSaga), instance.CorrelationId);
    }

    public async Task UpdateAsync(TSaga instance)
    {
        var expected = instance.Version;
        instance.Version = expected + 1;
        var updated = (int)await Database.ScriptEvaluateAsync(UpdateScript, [Key(instance.CorrelationId)],
            [expected, instance.Version, Serialize(instance), ExpiryMs]);
        if (updated == 0)
        {
            instance.Version = expected;
            throw new ConcurrencyException(
                $"Saga {typeof(TSaga).Name} {instance.CorrelationId} was changed by someone else (expected version {expected})",
                typeof(TSaga), instance.CorrelationId);
        }
    }

    public async Task DeleteAsync(TSaga instance)
    {
        var deleted = (int)await Database.ScriptEvaluateAsync(DeleteScript, [Key(instance.CorrelationId)], [instance.Version]);
        if (deleted == 0)
            throw new ConcurrencyException(
                $"Saga {typeof(TSaga).Name} {instance.CorrelationId} was changed before it could be deleted", typeof(TSaga), instance.CorrelationId);
    }

    private static string Serialize(TSaga instance) => JsonSerializer.Serialize(instance, Json);
}

public sealed record RedisSagaOptions<TSaga>(string KeyPrefix, TimeSpan? Expiry)
    where TSaga : class, ISagaVersion;
