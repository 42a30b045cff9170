using System.Globalization;
using StackExchange.Redis;

namespace Jobs.Plugins.Reddit;

/// <summary>The newest submission seen of a subreddit: the <c>before=</c> of its next run.</summary>
internal sealed record RedditCursor(string Fullname, DateTimeOffset CreatedUtc);

/// <summary>
/// A cursor per subreddit in Redis (a hash: fullname, created_utc in milliseconds). It only moves forward, so a run
/// that finishes after a later one cannot set it back; it expires after <see cref="RedditOptions.CursorLifetime"/>
/// without progress, and the run after that falls back to the newest stored submission.
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

    public string KeyOf(string subreddit) => $"{options.RedisPrefix}cursor:{subreddit}";

    public async Task<RedditCursor?> GetAsync(string subreddit)
    {
        var fields = await redis.HashGetAsync(KeyOf(subreddit), ["fullname", "created"]);
        if (fields[0].IsNullOrEmpty || !long.TryParse((string?)fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var created))
            return null;
        return new RedditCursor(fields[0]!, DateTimeOffset.FromUnixTimeMilliseconds(created));
    }

    public Task AdvanceAsync(string subreddit, RedditCursor cursor) =>
        redis.ScriptEvaluateAsync(Advance, new
        {
            key = (RedisKey)KeyOf(subreddit),
            fullname = cursor.Fullname,
            created = cursor.CreatedUtc.ToUnixTimeMilliseconds(),
            lifetime = (long)options.CursorLifetime.TotalMilliseconds,
        });
}
