using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Jobs.Plugins.Storage;
using StackExchange.Redis;

namespace Jobs.Plugins.Reddit;

/// <summary>The newest submission seen of a subreddit: the <c>before=</c> of its next run.</summary>
internal sealed record RedditCursor(string Fullname, DateTimeOffset CreatedUtc);

/// <summary>
/// A cursor per subreddit and storage target in Redis (a hash: fullname, created_utc in milliseconds). It only moves
/// forward, so a run that finishes after a later one cannot set it back; it expires after
/// <see cref="RedditOptions.CursorLifetime"/> without progress, and the run after that falls back to the newest submission
/// stored in <c>reddit_submissions</c> (a storage target's run starts over as a first run). A job with a storage target
/// has a cursor of its own (<c>&lt;subreddit&gt;:&lt;hash of the target&gt;</c>), so it neither skips what another run
/// stored elsewhere nor moves the cursor of the platform's table.
/// </summary>
internal sealed class RedditCursors(IDatabase redis, RedditOptions options)
{
    // KEYS[1] = cursor; ARGV = fullname, created (ms), lifetime (ms). Moves only to a submission at least as new.
    private static readonly LuaScript Advance = LuaScript.Prepare("""
        local current = tonumber(redis.call('HGET', @key, 'created') or '-1')
        if tonumber(@created) >= current then
          redis.call('HSET', @key, 'fullname', @fullname, 'created', @created)
        end
        redis.call('PEXPIRE', @key, @lifetime)
        return 1
        """);

    /// <summary>The cursor of <paramref name="subreddit"/> into <paramref name="storage"/> (the platform's table when null or unset).</summary>
    public string KeyOf(string subreddit, StorageSettings? storage = null) =>
        TargetHash(storage) is { } target ? $"{options.RedisPrefix}cursor:{subreddit}:{target}" : $"{options.RedisPrefix}cursor:{subreddit}";

    /// <summary>
    /// A short stable hash of where <paramref name="storage"/> puts the rows (type or target name, host, port, db, schema, table,
    /// directory, file; never a credential), or null for the platform's table.
    /// </summary>
    public static string? TargetHash(StorageSettings? storage)
    {
        if (storage is null || !storage.IsSet) return null;
        var given = storage.Settings ?? new StorageTargetSettings();
        var directory = given.Directory is { Length: > 0 } d ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)) : null;
        var where = string.Join('\n',
            storage.Target is { } target ? "target:" + target.ToLowerInvariant() : "type:" + storage.Type,
            given.Hostname?.ToLowerInvariant(), (given.Port ?? DefaultPort(storage.Type))?.ToString(CultureInfo.InvariantCulture), given.Db, given.Schema,
            given.Table ?? SubmissionStore.Table, directory, given.File);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(where)))[..12];
    }

    private static int? DefaultPort(string? type) => type switch
    {
        StorageTypes.Postgres => 5432,
        StorageTypes.MySql => 3306,
        _ => null,
    };

    public async Task<RedditCursor?> GetAsync(string subreddit, StorageSettings? storage = null)
    {
        var fields = await redis.HashGetAsync(KeyOf(subreddit, storage), ["fullname", "created"]);
        if (fields[0].IsNullOrEmpty || !long.TryParse((string?)fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var created))
            return null;
        return new RedditCursor(fields[0]!, DateTimeOffset.FromUnixTimeMilliseconds(created));
    }

    public Task AdvanceAsync(string subreddit, RedditCursor cursor, StorageSettings? storage = null) =>
        redis.ScriptEvaluateAsync(Advance, new
        {
            key = (RedisKey)KeyOf(subreddit, storage),
            fullname = cursor.Fullname,
            created = cursor.CreatedUtc.ToUnixTimeMilliseconds(),
            lifetime = (long)options.CursorLifetime.TotalMilliseconds,
        });
}
