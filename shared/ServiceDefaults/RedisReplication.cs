using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using StackExchange.Redis;

namespace Jobs.ServiceDefaults;

/// <summary>How much of Redis's replication a consumed message waits for (section <c>Redis</c>).</summary>
public sealed class RedisReplicationOptions
{
    public const string Section = "Redis";

    /// <summary>
    /// 0 (default, one Redis): nothing is waited for. N: after a message's consumer has written to Redis, and before the message is
    /// acknowledged, Redis's <c>WAIT N</c> holds it until N replicas have every write so far. Replication is asynchronous, so a
    /// failover can lose writes the old primary acknowledged; with this, a write a replica did not get belongs to a message not
    /// yet acknowledged, which the broker delivers again and the ledger counts once.
    /// </summary>
    [Range(0, 10)]
    public int WaitForReplicas { get; set; }

    /// <summary>
    /// How long <c>WAIT</c> may take. When fewer replicas answer in time (one is down) the message is acknowledged anyway, with a
    /// warning and <c>redis_replica_wait_short_total</c>: a lost replica must not stop the platform.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>After a short wait, how long messages are acknowledged without waiting (counted as short) before waiting is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ShortRetryAfter { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Redis's <c>WAIT</c> for <see cref="RedisReplicationOptions.WaitForReplicas"/> replicas. <c>WAIT</c> holds this process's one
/// connection to the primary while it waits, so when a wait comes back short (a replica is down, or a failover left the new primary
/// without one) the next <see cref="RedisReplicationOptions.ShortRetryAfter"/> skip it, counted as short, instead of stalling every
/// Redis command of the process for the whole timeout on each message.
/// </summary>
public sealed class RedisReplicaWaiter(IConnectionMultiplexer redis, IOptions<RedisReplicationOptions> options, ILogger<RedisReplicaWaiter> logger)
{
    private static readonly Counter Short = Metrics.CreateCounter("redis_replica_wait_short_total",
        "Messages acknowledged although fewer Redis replicas than Redis:WaitForReplicas confirmed their writes (or were waited for)");

    private static readonly Histogram Seconds = Metrics.CreateHistogram("redis_replica_wait_seconds", "Time of Redis WAIT after a consumed message",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 4, 8) });

    private long _skipUntil;

    public async Task WaitAsync(Guid? messageId)
    {
        var settings = options.Value;
        if (Environment.TickCount64 < Interlocked.Read(ref _skipUntil))
        {
            Short.Inc();
            return;
        }

        long acknowledged;
        using (Seconds.NewTimer())
            acknowledged = (long)await redis.GetDatabase().ExecuteAsync("WAIT", settings.WaitForReplicas, (long)settings.WaitTimeout.TotalMilliseconds);
        if (acknowledged >= settings.WaitForReplicas) return;
        Short.Inc();
        Interlocked.Exchange(ref _skipUntil, Environment.TickCount64 + (long)settings.ShortRetryAfter.TotalMilliseconds);
        logger.LogWarning("Only {Acknowledged} of {Wanted} Redis replicas confirmed the writes of message {MessageId} within {Timeout}; not waiting " +
                          "for replicas for {RetryAfter}", acknowledged, settings.WaitForReplicas, messageId, settings.WaitTimeout, settings.ShortRetryAfter);
    }
}

/// <summary>The consume filter of <see cref="RedisReplicationOptions.WaitForReplicas"/>: every message of every endpoint.</summary>
public sealed class RedisReplicaWait<T>(RedisReplicaWaiter waiter) : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        await next.Send(context);
        await waiter.WaitAsync(context.MessageId);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("redisReplicaWait");
}
