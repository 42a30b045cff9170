using Jobs.Integrator.ReadModel;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Reporting.Queries;

/// <summary>
/// Lets a request wait for a job to end without polling: one subscription per process to
/// <see cref="RootJobReader.EndedChannel"/>, on which the Integrator names each root once its final status is written.
/// A missed notification (Redis reconnecting) costs only the rest of the wait: the caller reads the status again.
/// </summary>
public sealed class JobEndWaiter(IConnectionMultiplexer redis, ILogger<JobEndWaiter> logger)
{
    private readonly Dictionary<Guid, List<TaskCompletionSource>> _waiters = [];
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private volatile bool _subscribed;

    /// <summary>
    /// Returns once <paramref name="hasEnded"/> says so, the job's end is announced, or <paramref name="timeout"/> has passed
    /// (whichever comes first). <paramref name="hasEnded"/> is checked after the waiter is registered, so an end announced
    /// between the caller's read and the wait is not missed.
    /// </summary>
    public async Task WaitAsync(Guid rootJobId, Func<Task<bool>> hasEnded, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await SubscribeAsync();
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (!_waiters.TryGetValue(rootJobId, out var list)) _waiters[rootJobId] = list = [];
            list.Add(waiter);
        }

        try
        {
            if (await hasEnded()) return;
            await waiter.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The wait is over: the caller answers with the status as it is now.
        }
        finally
        {
            lock (_waiters)
            {
                if (_waiters.TryGetValue(rootJobId, out var list) && list.Remove(waiter) && list.Count == 0) _waiters.Remove(rootJobId);
            }
        }
    }

    private async Task SubscribeAsync()
    {
        if (_subscribed) return;
        await _subscribing.WaitAsync();
        try
        {
            if (_subscribed) return;
            // StackExchange.Redis subscribes again by itself after a reconnect.
            await redis.GetSubscriber().SubscribeAsync(RootJobReader.EndedChannel, (_, value) => Announce(value));
            _subscribed = true;
        }
        finally
        {
            _subscribing.Release();
        }
    }

    private void Announce(RedisValue value)
    {
        if (!Guid.TryParseExact(value.ToString(), "N", out var rootJobId))
        {
            logger.LogWarning("Ignoring a job-end announcement that names no job id: {Value}", value.ToString());
            return;
        }

        List<TaskCompletionSource>? waiting;
        lock (_waiters)
        {
            if (!_waiters.Remove(rootJobId, out waiting)) return;
        }

        foreach (var waiter in waiting) waiter.TrySetResult();
    }
}
