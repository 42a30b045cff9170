using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Publishes to the keys of <see cref="PreaggregatesKeys"/>: the JSON document and each time as an ISO-8601 string
/// with its offset, all in one transaction, so a reader never sees values of two computations mixed.
/// </summary>
internal sealed class RedisPreaggregatesWriter(IConnectionMultiplexer redis) : IPreaggregatesWriter
{
    private const int Attempts = 5;

    public async Task<PreaggregatesMetadata?> LastAsync(string view, CancellationToken cancellationToken)
    {
        var json = await redis.GetDatabase().StringGetAsync(PreaggregatesKeys.Document(view));
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<PreaggregatesMetadata>(json.ToString(), JsonSerializerOptions.Web);
    }

    public async Task<bool> PublishAsync(PreaggregatesMetadata metadata, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var view = metadata.View;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = await db.StringGetAsync(PreaggregatesKeys.ComputedAt(view));
            if (!current.IsNullOrEmpty && DateTimeOffset.Parse(current.ToString(), CultureInfo.InvariantCulture) > metadata.ComputedAt) return false;
            var previous = await LastAsync(view, cancellationToken);

            var transaction = db.CreateTransaction();
            transaction.AddCondition(current.IsNull
                ? Condition.KeyNotExists(PreaggregatesKeys.ComputedAt(view))
                : Condition.StringEqual(PreaggregatesKeys.ComputedAt(view), current));
            var writes = new List<Task>
            {
                transaction.StringSetAsync(PreaggregatesKeys.Document(view), JsonSerializer.Serialize(metadata, JsonSerializerOptions.Web)),
                transaction.StringSetAsync(PreaggregatesKeys.ComputedAt(view), Format(metadata.ComputedAt)),
                Set(transaction, PreaggregatesKeys.CompleteUntil(view), metadata.Synchronized.CompleteUntil),
                Set(transaction, PreaggregatesKeys.BatchCompleteUntil(view), metadata.Synchronized.Batch?.Until),
                Set(transaction, PreaggregatesKeys.DailyCompleteUntil(view), metadata.Synchronized.Daily?.Until),
            };
            foreach (var source in metadata.Sources)
            {
                writes.Add(Set(transaction, PreaggregatesKeys.SourceBatchCompleteUntil(view, source.Name), source.Batch?.Until));
                writes.Add(Set(transaction, PreaggregatesKeys.SourceDailyCompleteUntil(view, source.Name), source.Daily?.Until));
            }

            // Sources no longer in the view lose their keys.
            foreach (var gone in (previous?.Sources ?? []).Select(s => s.Name).Except(metadata.Sources.Select(s => s.Name)))
            {
                writes.Add(transaction.KeyDeleteAsync(PreaggregatesKeys.SourceBatchCompleteUntil(view, gone)));
                writes.Add(transaction.KeyDeleteAsync(PreaggregatesKeys.SourceDailyCompleteUntil(view, gone)));
            }

            var committed = await transaction.ExecuteAsync();
            if (committed)
            {
                await Task.WhenAll(writes);
                return true;
            }
        }

        throw new InvalidOperationException($"preaggregates view '{view}' kept changing while it was published ({Attempts} attempts)");
    }

    /// <summary>ISO-8601 with the offset the time carries, to the second: <c>2024-03-11T00:00:00-07:00</c>.</summary>
    public static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static Task Set(ITransaction transaction, string key, DateTimeOffset? time) =>
        time is { } value ? transaction.StringSetAsync(key, Format(value)) : transaction.KeyDeleteAsync(key);
}
