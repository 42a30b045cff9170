using System.Globalization;
using System.Text.Json;
using Jobs.Integrations.ReadModel;
using Jobs.Plugins;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Writes what runs report into the job's state: progress into <see cref="RunKeys.ProgressKey"/>, datasets into
/// <see cref="RunKeys.DatasetsKey"/> (both kept <see cref="Runs.DetailsLifetime"/>). The only writer of these keys.
/// </summary>
public sealed class RunReports(IConnectionMultiplexer redis) : IRunReports
{
    // One call per report: this run's entry, the root's summed rows (this run's figure replaces its previous one),
    // the latest message, and the expiry of the progress hash.
    private const string ProgressScript = """
        local previous = redis.call('HGET', KEYS[1], ARGV[1])
        local before = 0
        if previous then before = tonumber(cjson.decode(previous).rows) or 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '~message', ARGV[4], '~at', ARGV[5])
        redis.call('HINCRBY', KEYS[1], '~rows', tonumber(ARGV[3]) - before)
        redis.call('EXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    public async Task ReportProgressAsync(Guid rootJobId, Guid jobId, double percent, string message, long rows, DateTimeOffset at)
    {
        var value = JsonSerializer.Serialize(new { percent, message, rows, at });
        await redis.GetDatabase().ScriptEvaluateAsync(ProgressScript, [RunKeys.ProgressKey(rootJobId)],
        [
            jobId.ToString("N"), value, rows, message, at.ToString("O", CultureInfo.InvariantCulture),
            (long)Runs.DetailsLifetime.TotalSeconds,
        ]);
    }

    public async Task StoreDatasetAsync(Guid rootJobId, Guid jobId, string name, byte[] json)
    {
        var database = redis.GetDatabase();
        var key = RunKeys.DatasetsKey(rootJobId);
        await database.HashSetAsync(key, $"{jobId:N}/{name}", json);
        await database.KeyExpireAsync(key, Runs.DetailsLifetime);
    }
}
