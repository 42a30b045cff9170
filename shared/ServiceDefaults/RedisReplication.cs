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
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>The consume filter of <see cref="RedisReplicationOptions.WaitForReplicas"/>: every message of every endpoint.</summary>
public sealed class RedisReplicaWait<T>(IConnectionMultiplexer redis, IOptions<RedisReplicationOptions> options, ILogger<RedisReplicationOptions> logger)
    : IFilter<ConsumeContext<T>> where T : class
{
    private static readonly Counter Short = Metrics.CreateCounter("redis_replica_wait_short_total",
        "Messages acknowledged although fewer Redis replicas than Redis:WaitForReplicas confirmed their writes in time");

    private static readonly Histogram Seconds = Metrics.CreateHistogram("redis_replica_wait_seconds", "Time of Redis WAIT after a consumed message",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 4, 8) });

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        await next.Send(context);
        var wanted = options.Value.WaitForReplicas;
        using (Seconds.NewTimer())
        {
            // On the connection every write of this process went through: WAIT covers all of them.
            var acknowledged = (long)await redis.GetDatabase().ExecuteAsync("WAIT", wanted, (long)options.Value.WaitTimeout.TotalMilliseconds);
            if (acknowledged >= wanted) return;
            Short.Inc();
            logger.LogWarning("Only {Acknowledged} of {Wanted} Redis replicas confirmed the writes of message {MessageId} within {Timeout}",
                acknowledged, wanted, context.MessageId, options.Value.WaitTimeout);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("redisReplicaWait");
}
