using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Jobs.ServiceDefaults;

/// <summary>Options of <see cref="ConsumerWatchdog"/> (section <c>Bus:ConsumerWatchdog</c>).</summary>
public sealed class ConsumerWatchdogOptions
{
    public const string Section = "Bus:ConsumerWatchdog";

    /// <summary>Off: nothing is checked.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the broker is asked how many consumers each of this process's queues has.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many checks in a row must find a queue without a consumer, while its endpoint is ready or recovering, before it is restarted.</summary>
    [Range(1, 100)]
    public int ChecksBeforeRestart { get; set; } = 3;
}

/// <summary>
/// Mends a defect of MassTransit 8 on RabbitMQ (MassTransit #5692, #5942): after the broker is killed or its application
/// stopped and started, an idle receive endpoint can stay "Ready" (and the bus health Healthy) with no consumer on its queue,
/// so its messages are never delivered. Every <see cref="ConsumerWatchdogOptions.Interval"/> this asks the broker (a passive
/// queue declaration on a connection of its own) how many consumers each durable queue of this process's ready endpoints has;
/// a queue found with none <see cref="ConsumerWatchdogOptions.ChecksBeforeRestart"/> times in a row (the broker up all along) gets its endpoint stopped
/// and started again, which opens a new channel and consumer. Counted by <c>bus_endpoint_restarts_total{endpoint}</c>.
/// </summary>
/// <remarks>
/// The broker counts the consumers of every process: with several processes on one queue, this one's missing consumer is seen only
/// once every process lost its own (the queue is still consumed until then). Temporary (auto-delete) endpoints are not checked: a
/// passive declaration of another connection's exclusive queue is refused, and the broker deletes those with their connection anyway.
/// </remarks>
public sealed class ConsumerWatchdog(
    IOptions<ConsumerWatchdogOptions> options,
    IOptions<ConnectionOptions> connections,
    ILogger<ConsumerWatchdog> logger) : BackgroundService, IReceiveEndpointObserver
{
    private static readonly Counter Restarts = Metrics.CreateCounter("bus_endpoint_restarts_total",
        "Receive endpoints restarted because the broker counted no consumer on their queue while they said they were ready", "endpoint");

    private readonly Dictionary<string, Watched> _endpoints = [];
    private IConnection? _connection;

    private sealed class Watched(IReceiveEndpoint endpoint)
    {
        public IReceiveEndpoint Endpoint { get; } = endpoint;
        /// <summary>Ready, or faulted and being recovered by MassTransit: it should have a consumer once the broker is up.</summary>
        public bool Active { get; set; }
        public int Empty { get; set; }
    }

    /// <summary>The queues being watched now: durable endpoints that said they were ready (or faulted since) and have not been stopped.</summary>
    public IReadOnlyList<string> Watching()
    {
        lock (_endpoints) return _endpoints.Where(e => e.Value.Active).Select(e => e.Key).Order().ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled) return;
        using var timer = new PeriodicTimer(settings.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await CheckAsync(settings.ChecksBeforeRestart, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round: count each watched queue's consumers, and restart the endpoints found without one often enough.</summary>
    internal async Task CheckAsync(int checksBeforeRestart, CancellationToken cancellationToken)
    {
        List<(string Queue, Watched Watched)> ready;
        lock (_endpoints) ready = _endpoints.Where(e => e.Value.Active).Select(e => (e.Key, e.Value)).ToList();
        if (ready.Count == 0) return;

        IChannel channel;
        try
        {
            channel = await ChannelAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or IOException or AlreadyClosedException)
        {
            // The broker is down: MassTransit is reconnecting, there is nothing to count.
            logger.LogDebug(ex, "Consumer watchdog: the broker is unreachable");
            return;
        }

        try
        {
            foreach (var (queue, watched) in ready)
            {
                uint consumers;
                try
                {
                    consumers = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).ConsumerCount;
                }
                catch (OperationInterruptedException ex)
                {
                    // 404: the queue is gone (deleted by hand, or the broker lost it); the endpoint declares it again when it restarts.
                    logger.LogWarning("Consumer watchdog: queue {Queue} could not be counted: {Reason}", queue, ex.ShutdownReason?.ReplyText);
                    await CloseAsync(channel);
                    channel = await ChannelAsync(cancellationToken);
                    consumers = 0;
                }

                watched.Empty = consumers == 0 ? watched.Empty + 1 : 0;
                if (watched.Empty < checksBeforeRestart) continue;
                watched.Empty = 0;
                await RestartAsync(queue, watched, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationInterruptedException or IOException or AlreadyClosedException or BrokerUnreachableException)
        {
            logger.LogDebug(ex, "Consumer watchdog: the broker went away during a check");
            await DropConnectionAsync();
        }
        finally
        {
            await CloseAsync(channel);
        }
    }

    private async Task RestartAsync(string queue, Watched watched, CancellationToken cancellationToken)
    {
        logger.LogWarning("Consumer watchdog: queue {Queue} has had no consumer for {Checks} checks while its endpoint was ready or recovering: restarting the endpoint",
            queue, options.Value.ChecksBeforeRestart);
        Restarts.WithLabels(queue).Inc();
        using var stopTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stopTimeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await watched.Endpoint.Stop(stopTimeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Consumer watchdog: stopping the endpoint of {Queue} failed; starting it again anyway", queue);
        }

        var handle = watched.Endpoint.Start(cancellationToken);
        using var readyTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        readyTimeout.CancelAfter(TimeSpan.FromSeconds(60));
        await using (readyTimeout.Token.Register(() => logger.LogWarning("Consumer watchdog: the endpoint of {Queue} is not ready 60 s after its restart", queue)))
        {
            try
            {
                await handle.Ready.WaitAsync(readyTimeout.Token);
                logger.LogInformation("Consumer watchdog: the endpoint of {Queue} is consuming again", queue);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Not ready yet: the next checks find out whether it came back, and restart it again if not.
                logger.LogWarning(ex, "Consumer watchdog: the endpoint of {Queue} did not say it was ready after its restart", queue);
            }
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true })
        {
            await DropConnectionAsync();
            // Any live node of a cluster: the broker counts a queue's consumers wherever they are connected.
            _connection = await RabbitMqConnections.OpenAsync(connections.Value, "consumer watchdog", cancellationToken);
        }

        return await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is null) return;
        await CloseAsync(_connection);
        _connection = null;
    }

    /// <summary>Disposes a channel or connection the broker may have closed already.</summary>
    private static async Task CloseAsync(IAsyncDisposable closable)
    {
        try
        {
            await closable.DisposeAsync();
        }
        catch (Exception ex) when (ex is IOException or AlreadyClosedException or OperationInterruptedException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await DropConnectionAsync();
    }

    private static string? DurableQueue(Uri inputAddress)
    {
        var query = inputAddress.Query;
        if (query.Contains("temporary=true", StringComparison.OrdinalIgnoreCase) || query.Contains("autodelete=true", StringComparison.OrdinalIgnoreCase) ||
            query.Contains("durable=false", StringComparison.OrdinalIgnoreCase))
            return null;
        var name = inputAddress.AbsolutePath.TrimEnd('/');
        return name[(name.LastIndexOf('/') + 1)..] is { Length: > 0 } queue ? Uri.UnescapeDataString(queue) : null;
    }

    private void Mark(Uri inputAddress, IReceiveEndpoint? endpoint, bool active)
    {
        if (DurableQueue(inputAddress) is not { } queue) return;
        lock (_endpoints)
        {
            if (!_endpoints.TryGetValue(queue, out var watched))
            {
                if (endpoint is null) return;
                _endpoints[queue] = watched = new Watched(endpoint);
            }

            watched.Active = active;
            watched.Empty = 0;
        }
    }

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        Mark(ready.InputAddress, ready.ReceiveEndpoint, active: true);
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping)
    {
        Mark(stopping.InputAddress, null, active: false);
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed)
    {
        Mark(completed.InputAddress, null, active: false);
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted)
    {
        // MassTransit is recovering the endpoint and says Ready again when it has; if it never does, the broker's count finds it.
        Mark(faulted.InputAddress, faulted.ReceiveEndpoint, active: true);
        return Task.CompletedTask;
    }
}
