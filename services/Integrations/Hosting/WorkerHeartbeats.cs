using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>Section <c>Integrations:Heartbeat</c>: how often this process writes its heartbeat (<see cref="WorkerHeartbeats"/>).</summary>
public sealed class HeartbeatOptions
{
    public const string Section = IntegrationsOptions.Section + ":Heartbeat";

    /// <summary>Readers take a heartbeat older than three intervals (15 s by default) for a process that is gone.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = Section + ":" + nameof(Interval) + ": must be between {1} and {2}")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The children finished per second are counted over this much time up to each heartbeat (or since the start while the process is younger),
    /// so the rate neither jumps between 0 and a burst from one interval to the next nor is gone before anyone reads it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = Section + ":" + nameof(RateWindow) + ": must be between {1} and {2}")]
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Writes this process's heartbeat (<see cref="WorkerHeartbeat"/>: the platforms it hosts, the integration queues it consumes, the children
/// it runs now and those finished per second over the last <see cref="HeartbeatOptions.RateWindow"/>) every <see cref="HeartbeatOptions.Interval"/>, and removes it
/// when the host stops gracefully. Read by the others through <see cref="Workers.ListAsync"/>.
/// </summary>
public sealed class WorkerHeartbeats(
    IntegrationRegistry registry, RunningJobs running, IConnectionMultiplexer redis, IOptions<HeartbeatOptions> options, ILogger<WorkerHeartbeats> logger)
    : BackgroundService
{
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    /// <summary>This process's id in the heartbeats: <c>host:pid</c>.</summary>
    public static string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var platforms = registry.Hosted.Select(i => i.Name).Order(StringComparer.Ordinal).ToList();
        var queues = platforms.SelectMany(IntegrationQueues.QueueNames).ToList();
        // Samples of (when, finished so far) within the rate window; the oldest is the base of the rate.
        var samples = new Queue<(long At, long Finished)>();
        samples.Enqueue((Stopwatch.GetTimestamp(), running.Finished));
        using var timer = new PeriodicTimer(options.Value.Interval);
        while (true)
        {
            var (now, finished) = (Stopwatch.GetTimestamp(), running.Finished);
            while (samples.Count > 1 && Stopwatch.GetElapsedTime(samples.Peek().At, now) > options.Value.RateWindow)
            {
                samples.Dequeue();
            }

            var (since, finishedBefore) = samples.Peek();
            var seconds = Stopwatch.GetElapsedTime(since, now).TotalSeconds;
            var perSecond = seconds > 0 ? Math.Round((finished - finishedBefore) / seconds, 2) : 0;
            samples.Enqueue((now, finished));
            try
            {
                await Workers.WriteAsync(redis.GetDatabase(), new WorkerHeartbeat(Id, Environment.MachineName, Environment.ProcessId, platforms, queues,
                    running.InFlight, perSecond, _startedAt, DateTimeOffset.UtcNow));
            }
            catch (RedisException ex)
            {
                logger.LogWarning("Heartbeat not written: {Error}", ex.Message);
            }

            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await Workers.RemoveAsync(redis.GetDatabase(), Id);
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Heartbeat not removed at stop (readers drop it once stale): {Error}", ex.Message);
        }
    }
}
