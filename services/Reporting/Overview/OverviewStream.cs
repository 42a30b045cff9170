using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting.Overview;

/// <summary>
/// The one producer of <c>GET /overview/stream</c>: while at least one stream is open it computes an overview every
/// <see cref="ReportingOptions.OverviewRefresh"/> and hands the same snapshot to every open stream; when the last stream closes it stops,
/// so no page open means no work. A stream that joins a running producer gets the latest snapshot at once.
/// </summary>
public sealed class OverviewStream(OverviewSnapshots snapshots, IOptions<ReportingOptions> options, ILogger<OverviewStream> logger)
{
    private readonly object _gate = new();
    private readonly List<Channel<OverviewResponse>> _subscribers = [];
    private CancellationTokenSource? _producing;
    private OverviewResponse? _latest;

    /// <summary>Whether the producer runs now (some stream is open).</summary>
    public bool IsProducing
    {
        get
        {
            lock (_gate) return _producing is not null;
        }
    }

    /// <summary>The overviews for one stream, the first at once, until <paramref name="cancellationToken"/> fires (the client left).</summary>
    public async IAsyncEnumerable<OverviewResponse> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A slow client skips snapshots instead of queueing them: it only needs the newest.
        var channel = Channel.CreateBounded<OverviewResponse>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            _subscribers.Add(channel);
            if (_latest is not null && _producing is not null) channel.Writer.TryWrite(_latest);
            if (_producing is null)
            {
                _producing = new CancellationTokenSource();
                _ = ProduceAsync(_producing.Token);
            }
        }

        try
        {
            await foreach (var snapshot in channel.Reader.ReadAllAsync(cancellationToken)) yield return snapshot;
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
                if (_subscribers.Count == 0 && _producing is not null)
                {
                    _producing.Cancel();
                    _producing = null;
                    _latest = null;
                }
            }
        }
    }

    private async Task ProduceAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.Value.OverviewRefresh);
        try
        {
            do
            {
                try
                {
                    var snapshot = await snapshots.ComputeAsync(stopping);
                    lock (_gate)
                    {
                        if (stopping.IsCancellationRequested) return;
                        _latest = snapshot;
                        foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(snapshot);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "The overview could not be computed; trying again in {Refresh}", options.Value.OverviewRefresh);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException)
        {
            // The last stream closed.
        }
    }
}
