namespace Jobs.Reporting.Overview;

/// <summary>One value, loaded again when older than its lifetime; callers meanwhile share the value (and one load at a time).</summary>
public sealed class TimedCache<T>(TimeSpan lifetime, TimeProvider time)
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private (T Value, DateTimeOffset At)? _cached;

    public async Task<T> GetAsync(Func<CancellationToken, Task<T>> load, CancellationToken cancellationToken)
    {
        if (Fresh() is { } value) return value.Value;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } loaded) return loaded.Value;
            var fresh = await load(cancellationToken);
            _cached = (fresh, time.GetUtcNow());
            return fresh;
        }
        finally
        {
            _loading.Release();
        }
    }

    private (T Value, DateTimeOffset At)? Fresh() => _cached is { } c && time.GetUtcNow() - c.At < lifetime ? c : null;
}
