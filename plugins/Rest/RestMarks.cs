using System.Globalization;
using System.Text.Json;
using Jobs.Plugins.Storage;
using StackExchange.Redis;

namespace Jobs.Plugins.Rest;

/// <summary>
/// The high-water mark of an incremental <c>rest</c> job definition: the greatest value of its cursor field among the rows stored,
/// in Redis (a hash: value, order, type). It only moves forward, and only after a child's rows are stored, so a child that fails
/// leaves it as it was and a child that ends after a later one cannot set it back.
/// </summary>
internal sealed class RestMarks(IDatabase redis, RestOptions options)
{
    // KEYS[1] = mark; ARGV = value, order, type, lifetime (ms). Strings compare as bytes, the other types by their number.
    private static readonly LuaScript Advance = LuaScript.Prepare("""
        local current = redis.call('HGET', @key, 'order')
        local kind = redis.call('HGET', @key, 'type')
        local newer = (not current) or kind ~= @type
        if not newer then
          if @type == 'string' then newer = @order > current else newer = tonumber(@order) > tonumber(current) end
        end
        if newer then
          redis.call('HSET', @key, 'value', @value, 'order', @order, 'type', @type)
        end
        redis.call('PEXPIRE', @key, @lifetime)
        return newer and 1 or 0
        """);

    public string KeyOf(string definition) => $"{options.RedisPrefix}mark:{definition}";

    /// <summary>The mark of <paramref name="definition"/> as text of <paramref name="type"/>, or null when there is none (or it was of another type).</summary>
    public async Task<string?> GetAsync(string definition, string type)
    {
        var fields = await redis.HashGetAsync(KeyOf(definition), ["value", "type"]);
        return fields[0].IsNullOrEmpty || (string?)fields[1] != type ? null : (string?)fields[0];
    }

    public Task AdvanceAsync(string definition, string type, object value) =>
        redis.ScriptEvaluateAsync(Advance, new
        {
            key = (RedisKey)KeyOf(definition),
            value = ColumnTypes.Text(value),
            order = Order(value),
            type,
            lifetime = (long)options.CursorLifetime.TotalMilliseconds,
        });

    /// <summary>A value of a column of <paramref name="type"/> given as text (a configured start, a stored mark), as the column's CLR value.</summary>
    public static object Parse(string text, string type) =>
        ColumnTypes.FromJson(JsonSerializer.SerializeToElement(text), type) ?? throw new FormatException($"'{text}' is not a {type}");

    /// <summary><paramref name="text"/> as the canonical text of a value of <paramref name="type"/>.</summary>
    public static string Normalize(string text, string type) => ColumnTypes.Text(Parse(text, type))!;

    /// <summary>Whether <paramref name="value"/> is after <paramref name="mark"/> (both values of one column type).</summary>
    public static bool IsAfter(object value, object mark) => value switch
    {
        string s => string.CompareOrdinal(s, (string)mark) > 0,
        long l => l > (long)mark,
        double d => d > (double)mark,
        DateOnly d => d > (DateOnly)mark,
        DateTimeOffset t => t > (DateTimeOffset)mark,
        _ => throw new ArgumentException($"a {value.GetType().Name} has no order", nameof(value)),
    };

    private static string Order(object value) => value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateOnly d => d.DayNumber.ToString(CultureInfo.InvariantCulture),
        // Microseconds since 1970: exact in a Lua number (a double) for any date of this era.
        DateTimeOffset t => ((t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10).ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"a {value.GetType().Name} has no order", nameof(value)),
    };
}
