using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace Jobs.ServiceDefaults;

/// <summary>
/// The one rule for "this error goes away by itself": a PostgreSQL, Redis or RabbitMQ server restarting or
/// failing over, a connection refused or reset, a time-out. Every place that must not drop work on such an
/// error retries it through <see cref="RetryAsync{T}"/>; everything else fails at once.
/// </summary>
public static class TransientFaults
{
    /// <summary>
    /// PostgreSQL states that a restart, fail-over or overload produces: 57P01 terminating connection due to
    /// administrator command (the pooled connections of before a restart), 57P02/57P03 crash shutdown / cannot
    /// connect now, class 08 connection exceptions, class 53 insufficient resources, serialization failures and
    /// deadlocks.
    /// </summary>
    private static readonly string[] PostgresStates = ["57P01", "57P02", "57P03", "40001", "40P01"];

    public static bool IsTransient(Exception exception) => exception switch
    {
        OperationCanceledException => false,
        PostgresException pg => pg.IsTransient || PostgresStates.Contains(pg.SqlState) || pg.SqlState.StartsWith("08", StringComparison.Ordinal) ||
                                pg.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is { } inner && IsTransient(inner),
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException redis => redis.Message.StartsWith("LOADING", StringComparison.Ordinal) ||
                                      redis.Message.StartsWith("READONLY", StringComparison.Ordinal) ||
                                      redis.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal),
        RequestTimeoutException or MassTransit.RabbitMqConnectionException => true,
        SocketException or IOException or TimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } cause && IsTransient(cause),
    };

    /// <summary>
    /// A transient error of PostgreSQL or Redis (not of an outside HTTP server, which the polite HTTP client retries by its own
    /// rules): what a step that writes to the platform's stores runs again for.
    /// </summary>
    public static bool IsStoreOutage(Exception exception)
    {
        if (!IsTransient(exception)) return false;
        for (Exception? e = exception; e is not null; e = e.InnerException)
            if (e is NpgsqlException or RedisException) return true;
        return exception is AggregateException aggregate && aggregate.InnerExceptions.All(IsStoreOutage);
    }

    /// <summary>
    /// Runs <paramref name="action"/>, retrying transient errors with exponential back-off and jitter (from
    /// <paramref name="policy"/>'s first delay up to its largest) until it succeeds or the policy's time limit has
    /// passed; then the last error is thrown. Other errors are thrown at once. Each retry is logged with its reason.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<CancellationToken, ValueTask<T>> action, TransientRetry policy, ILogger logger, string what,
        CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var pipeline = new ResiliencePipelineBuilder<T>()
            .AddRetry(new RetryStrategyOptions<T>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e) &&
                                                            TimeProvider.System.GetElapsedTime(started) < policy.Limit),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = policy.FirstDelay,
                MaxDelay = policy.MaxDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } e && e is NpgsqlException) NpgsqlConnection.ClearAllPools();
                    logger.LogWarning("{What} met a transient error (attempt {Attempt}, retrying in {Delay:0.0} s, giving up {Limit} after the first try): {Error}",
                        what, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds, policy.Limit, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return await pipeline.ExecuteAsync(action, cancellationToken);
    }

    public static Task RetryAsync(Func<CancellationToken, ValueTask> action, TransientRetry policy, ILogger logger, string what,
        CancellationToken cancellationToken) =>
        RetryAsync(async token =>
        {
            await action(token);
            return true;
        }, policy, logger, what, cancellationToken);
}

/// <summary>How long and how often a step retries transient errors (<see cref="TransientFaults.RetryAsync{T}"/>).</summary>
/// <param name="Limit">Time after the first try past which the last error is given up on.</param>
/// <param name="FirstDelay">Delay before the first retry; doubles per attempt, with jitter.</param>
/// <param name="MaxDelay">Largest delay between two attempts.</param>
public sealed record TransientRetry(TimeSpan Limit, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>A step inside a job or a request: a server restart (tens of seconds) is outlasted.</summary>
    public static TransientRetry Step { get; } = new(TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));

    /// <summary>The delay before retry number <paramref name="retry"/> (1, 2, ...) of a loop that cannot hand itself to <see cref="TransientFaults.RetryAsync{T}"/>.</summary>
    public TimeSpan DelayBefore(int retry) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1))));
}
