using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using RabbitMQ.Client.Exceptions;

namespace Jobs.ServiceDefaults;

/// <summary>Options of <see cref="SendWatchdog"/> (section <c>Bus:SendWatchdog</c>).</summary>
public sealed class SendWatchdogOptions
{
    public const string Section = "Bus:SendWatchdog";

    /// <summary>Off: a wedged send side is only logged by MassTransit, the process keeps running.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long sends and publishes must go on failing on the connection (none succeeding) once the broker is found reachable before the process gives up.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan FailFor { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How often the failures are looked at.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The send-side twin of <see cref="ConsumerWatchdog"/>. After a <c>kill -9</c> of the RabbitMQ cluster node a process was connected to,
/// one CI run saw MassTransit consume again from another node while every send and publish kept failing with
/// <c>RabbitMqConnectionException</c>, so each consumed message was retried and nothing moved on (issue 17). MassTransit offers no way to
/// rebuild only the send side, so this process does what a crash-only service does: when sends and publishes still fail with a
/// connection fault <see cref="SendWatchdogOptions.FailFor"/> after a fresh connection to a live node opened fine, none succeeding,
/// it logs why and exits with <see cref="ExitCode"/> (75, EX_TEMPFAIL). Its supervisor starts it again: Kubernetes and systemd restart
/// on any exit, <c>infra/supervise.sh</c> does it for <c>make run</c>, the test harness for the tests. Nothing is lost: every message
/// consumed but not acknowledged is delivered again to the fresh process, and the counting is idempotent. Counted before the exit by
/// <c>bus_send_wedged_exits_total</c> (scraped only if the process lives long enough: the log line is the record).
/// </summary>
public sealed class SendWatchdog(
    IOptions<SendWatchdogOptions> options,
    IOptions<ConnectionOptions> connections,
    IHostApplicationLifetime lifetime,
    ILogger<SendWatchdog> logger,
    TimeProvider? clock = null) : BackgroundService, ISendObserver, IPublishObserver
{
    /// <summary>EX_TEMPFAIL of sysexits.h: start me again.</summary>
    public const int ExitCode = 75;

    private static readonly Counter WedgedExits = Metrics.CreateCounter("bus_send_wedged_exits_total",
        "Times this process gave up because every send and publish failed on the connection while the broker was reachable");

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private DateTimeOffset? _failingSince;
    private DateTimeOffset _lastFailureAt;
    private DateTimeOffset? _reachableSince;
    private long _failures;
    private string? _lastFailure;

    /// <summary>Since when every send or publish has failed with a connection fault; null while the last one succeeded.</summary>
    public DateTimeOffset? FailingSince
    {
        get
        {
            lock (_gate) return _failingSince;
        }
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _failingSince = null;
            _reachableSince = null;
            _failures = 0;
        }
    }

    public void Failed(Exception exception)
    {
        if (!IsConnectionFault(exception)) return;
        lock (_gate)
        {
            _lastFailureAt = _clock.GetUtcNow();
            _failingSince ??= _lastFailureAt;
            _failures++;
            _lastFailure = exception.Message;
        }
    }

    /// <summary>A fault of the connection (not of the message or a missing exchange): what a reconnect would mend.</summary>
    public static bool IsConnectionFault(Exception exception) => exception switch
    {
        MassTransit.RabbitMqConnectionException or AlreadyClosedException or BrokerUnreachableException or IOException => true,
        _ when exception.InnerException is { } inner => IsConnectionFault(inner),
        _ => false,
    };

    /// <summary>
    /// One look (each <see cref="SendWatchdogOptions.Interval"/>): wedged when sends and publishes are still failing
    /// <see cref="SendWatchdogOptions.FailFor"/> after the broker was first found reachable, none succeeding meanwhile. While the
    /// broker is down on every node MassTransit is reconnecting and a fresh process could do no better, so only failures after a
    /// successful probe count; an idle process whose last send failed during an outage does not count either, as it sends nothing.
    /// </summary>
    public async Task<bool> WedgedAsync(Func<CancellationToken, Task<bool>> brokerReachable, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_failingSince is null) return false;
        }

        var reachable = await brokerReachable(cancellationToken);
        lock (_gate)
        {
            if (_failingSince is null) return false;
            if (!reachable)
            {
                _reachableSince = null;
                return false;
            }

            _reachableSince ??= _clock.GetUtcNow();
            return _lastFailureAt - _reachableSince >= options.Value.FailFor;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled) return;
        using var timer = new PeriodicTimer(settings.Interval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!await WedgedAsync(BrokerReachableAsync, stoppingToken)) continue;
                GiveUp();
                return;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void GiveUp()
    {
        long failures;
        string? last;
        DateTimeOffset? since;
        lock (_gate) (failures, last, since) = (_failures, _lastFailure, _failingSince);
        WedgedExits.Inc();
        logger.LogCritical("Send watchdog: every send and publish has failed since {Since:O} ({Failures} failures, the last: {Last}) while the broker " +
                           "is reachable: the bus's send side is wedged. Exiting with {ExitCode} so that the supervisor starts a fresh process; " +
                           "unacknowledged messages are delivered again", since, failures, last, ExitCode);
        Environment.ExitCode = ExitCode;
        lifetime.StopApplication();
        // A send side this wedged may hold the graceful stop too: out in any case, the broker requeues what was not acknowledged.
        _ = Task.Delay(TimeSpan.FromSeconds(40)).ContinueWith(_ => Environment.Exit(ExitCode), TaskScheduler.Default);
    }

    private async Task<bool> BrokerReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await RabbitMqConnections.OpenAsync(connections.Value, "send watchdog", cancellationToken);
            return connection.IsOpen;
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or IOException or AlreadyClosedException)
        {
            logger.LogDebug(ex, "Send watchdog: the broker is unreachable");
            return false;
        }
    }

    Task ISendObserver.PreSend<T>(SendContext<T> context) => Task.CompletedTask;

    Task ISendObserver.PostSend<T>(SendContext<T> context)
    {
        Succeeded();
        return Task.CompletedTask;
    }

    Task ISendObserver.SendFault<T>(SendContext<T> context, Exception exception)
    {
        Failed(exception);
        return Task.CompletedTask;
    }

    Task IPublishObserver.PrePublish<T>(PublishContext<T> context) => Task.CompletedTask;

    Task IPublishObserver.PostPublish<T>(PublishContext<T> context)
    {
        Succeeded();
        return Task.CompletedTask;
    }

    Task IPublishObserver.PublishFault<T>(PublishContext<T> context, Exception exception)
    {
        Failed(exception);
        return Task.CompletedTask;
    }
}
