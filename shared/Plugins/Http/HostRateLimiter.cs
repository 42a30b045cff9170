using System.Diagnostics;
using StackExchange.Redis;

namespace Jobs.Plugins.Http;

/// <summary>
/// A per-host rate limit held in Redis, so every Integrations process shares it: GCRA (a token bucket kept as one
/// "theoretical arrival time" per host). Each call reserves the next free slot atomically in a Lua script, on
/// Redis's clock, and the caller waits until its slot; callers never race each other for a token.
/// </summary>
public sealed class HostRateLimiter(IConnectionMultiplexer redis, string keyPrefix)
{
    // KEYS[1] = bucket; ARGV[1] = microseconds per request; ARGV[2] = burst tolerance in microseconds.
    // Returns the microseconds the caller must wait before sending.
    private static readonly LuaScript Reserve = LuaScript.Prepare("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(@interval)
        local tolerance = tonumber(@tolerance)
        local tat = tonumber(redis.call('GET', @key) or now)
        if tat < now then tat = now end
        local wait = tat - tolerance - now
        if wait < 0 then wait = 0 end
        local nxt = tat + interval
        redis.call('SET', @key, string.format('%d', nxt), 'PX', math.floor((nxt - now) / 1000) + 1000)
        return wait
        """);

    // Pushes the bucket's next slot to at least now + ARGV[1] microseconds (a host that answered 429 / Retry-After).
    private static readonly LuaScript Pause = LuaScript.Prepare("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local resume = now + tonumber(@pause)
        local tat = tonumber(redis.call('GET', @key) or now)
        if resume > tat then
          redis.call('SET', @key, string.format('%d', resume), 'PX', math.floor((resume - now) / 1000) + 1000)
        end
        return 0
        """);

    public string KeyOf(string host) => $"{keyPrefix}rate:{host}";

    /// <summary>
    /// Waits for the next slot of <paramref name="host"/>; returns how long it waited. No limit when
    /// <paramref name="requestsPerSecond"/> is 0. A caller that wakes up well after its slot (a GC pause, a starved
    /// machine) takes a new slot instead of sending late, so callers delayed together do not arrive together.
    /// </summary>
    public async Task<TimeSpan> AcquireAsync(string host, double requestsPerSecond, int burst, CancellationToken cancellationToken)
    {
        if (requestsPerSecond <= 0) return TimeSpan.Zero;
        var interval = (long)Math.Ceiling(1_000_000 / requestsPerSecond);
        var tolerance = interval * (Math.Max(1, burst) - 1);
        var lateness = TimeSpan.FromMicroseconds(Math.Max(interval, MinLateness.TotalMicroseconds));
        var started = Stopwatch.GetTimestamp();
        for (var reservation = 1; ; reservation++)
        {
            var result = await redis.GetDatabase().ScriptEvaluateAsync(Reserve, new { key = (RedisKey)KeyOf(host), interval, tolerance });
            // Whole milliseconds, rounded up: a timer never fires before the slot.
            var wait = TimeSpan.FromMilliseconds(Math.Ceiling((long)result / 1000.0));
            if (wait <= TimeSpan.Zero) return Stopwatch.GetElapsedTime(started);
            var slot = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
            await Task.Delay(wait, cancellationToken);
            // On a machine so slow that every wake-up is late, send after a few tries rather than never.
            if (Stopwatch.GetElapsedTime(slot) <= lateness || reservation >= MaxReservations) return Stopwatch.GetElapsedTime(started);
        }
    }

    private const int MaxReservations = 4;

    /// <summary>How late after its slot a caller may still send (at least one interval).</summary>
    private static readonly TimeSpan MinLateness = TimeSpan.FromMilliseconds(50);

    /// <summary>Makes every process wait at least <paramref name="pause"/> (plus the burst) before the host's next request.</summary>
    public async Task PauseAsync(string host, TimeSpan pause, double requestsPerSecond, int burst)
    {
        if (requestsPerSecond <= 0 || pause <= TimeSpan.Zero) return;
        var interval = (long)Math.Ceiling(1_000_000 / requestsPerSecond);
        var micros = (long)pause.TotalMicroseconds + interval * (Math.Max(1, burst) - 1);
        await redis.GetDatabase().ScriptEvaluateAsync(Pause, new { key = (RedisKey)KeyOf(host), pause = micros });
    }
}
