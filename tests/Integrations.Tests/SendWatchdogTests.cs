using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

/// <summary>When the send watchdog gives the process up (exit 75, for its supervisor to start it again), and when it must not.</summary>
public sealed class SendWatchdogTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() => throw new InvalidOperationException("the decision is tested, not the exit");
    }

    private readonly Clock _clock = new();
    private int _brokerAsked;

    private SendWatchdog Watchdog() => new(Options.Create(new SendWatchdogOptions { FailFor = TimeSpan.FromSeconds(45) }),
        Options.Create(new ConnectionOptions()), new Lifetime(), NullLogger<SendWatchdog>.Instance, _clock);

    private static Exception ConnectionFault() =>
        new RabbitMqConnectionException("Connection unavailable", new IOException("the node went away"));

    private bool _reachable = true;

    private Task<bool> Probe(CancellationToken _)
    {
        _brokerAsked++;
        return Task.FromResult(_reachable);
    }

    /// <summary>Sends failing every 5 s for <paramref name="duration"/>, the watchdog looking after each.</summary>
    private async Task<bool> FailingForAsync(SendWatchdog watchdog, TimeSpan duration)
    {
        var wedged = false;
        for (var at = TimeSpan.Zero; at <= duration; at += TimeSpan.FromSeconds(5))
        {
            watchdog.Failed(ConnectionFault());
            wedged = await watchdog.WedgedAsync(Probe, CancellationToken.None);
            if (wedged) return true;
            _clock.Now += TimeSpan.FromSeconds(5);
        }

        return wedged;
    }

    [Fact]
    public async Task When_sends_keep_failing_on_the_connection_for_FailFor_while_the_broker_is_reachable_Should_give_up()
    {
        var watchdog = Watchdog();
        Assert.False(await FailingForAsync(watchdog, TimeSpan.FromSeconds(40)));
        Assert.True(await FailingForAsync(watchdog, TimeSpan.FromSeconds(10)));
        Assert.True(_brokerAsked > 0);
    }

    [Fact]
    public async Task When_a_send_succeeds_between_failures_Should_count_the_failing_time_from_the_next_failure()
    {
        var watchdog = Watchdog();
        Assert.False(await FailingForAsync(watchdog, TimeSpan.FromSeconds(40)));
        watchdog.Succeeded();
        Assert.Null(watchdog.FailingSince);

        Assert.False(await FailingForAsync(watchdog, TimeSpan.FromSeconds(40)));
    }

    [Fact]
    public async Task When_the_broker_is_down_on_every_node_Should_keep_waiting_however_long_and_count_only_from_its_return()
    {
        var watchdog = Watchdog();
        _reachable = false;
        Assert.False(await FailingForAsync(watchdog, TimeSpan.FromMinutes(5)));

        // Back: MassTransit reconnects within seconds; only if sends still fail FailFor later is the process wedged.
        _reachable = true;
        Assert.False(await FailingForAsync(watchdog, TimeSpan.FromSeconds(40)));
        Assert.True(await FailingForAsync(watchdog, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task When_the_process_sends_nothing_after_failures_during_an_outage_Should_not_give_up()
    {
        var watchdog = Watchdog();
        _reachable = false;
        Assert.False(await FailingForAsync(watchdog, TimeSpan.FromSeconds(30)));
        _reachable = true;
        for (var i = 0; i < 60; i++)
        {
            Assert.False(await watchdog.WedgedAsync(Probe, CancellationToken.None));
            _clock.Now += TimeSpan.FromSeconds(5);
        }
    }

    [Fact]
    public async Task When_sends_fail_for_reasons_other_than_the_connection_Should_not_count_them()
    {
        var watchdog = Watchdog();
        watchdog.Failed(new InvalidOperationException("the message could not be serialized"));
        watchdog.Failed(new ArgumentException("no such exchange"));
        _clock.Now += TimeSpan.FromMinutes(5);

        Assert.Null(watchdog.FailingSince);
        Assert.False(await watchdog.WedgedAsync(Probe, CancellationToken.None));
        Assert.Equal(0, _brokerAsked);
        Assert.True(SendWatchdog.IsConnectionFault(new InvalidOperationException("wrapped", ConnectionFault())));
    }
}
