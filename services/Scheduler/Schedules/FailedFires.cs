using System.Collections.Concurrent;
using Jobs.Contracts;
using Jobs.ServiceDefaults;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// Fires that could not start their root job: counted (<c>scheduler_fire_failures_total</c>), logged with the job id, and
/// recorded in <c>schedule_runs</c> (outcome <c>FireFailed</c>), where <c>GET /schedules</c> shows them. The store is often what
/// failed, so a failure is kept here and written as soon as PostgreSQL answers again.
/// </summary>
public sealed class FailedFires(ScheduleRuns runs, ILogger<FailedFires> logger) : BackgroundService
{
    private readonly ConcurrentQueue<(string Schedule, FailedFire Fire)> _unrecorded = new();
    private readonly SemaphoreSlim _signal = new(0);

    public void Record(string schedule, FailedFire fire)
    {
        SchedulerMetrics.FireFailures.WithLabels(schedule).Inc();
        using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = fire.RootJobId, ["Schedule"] = schedule }))
            logger.LogError("Schedule {Schedule} could not start its job {RootJobId} for {ScheduledAt:O}: {Error}", schedule, fire.RootJobId, fire.ScheduledAt,
                fire.Error);
        _unrecorded.Enqueue((schedule, fire));
        _signal.Release();
    }

    /// <summary>Failures not written to the store yet, by schedule.</summary>
    public ILookup<string, FailedFire> Unrecorded => _unrecorded.ToLookup(f => f.Schedule, f => f.Fire);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (_unrecorded.TryPeek(out var failure))
            {
                try
                {
                    await TransientFaults.RetryAsync(token => new ValueTask(runs.RecordFailedFireAsync(failure.Schedule, failure.Fire, token)),
                        Forever, logger, $"Recording the failed fire of {failure.Schedule} for {failure.Fire.ScheduledAt:O}", stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Not a store outage: the failure stays in the log and the metric, where it was counted already.
                    logger.LogError(ex, "The failed fire of {Schedule} for {ScheduledAt:O} could not be recorded", failure.Schedule, failure.Fire.ScheduledAt);
                }

                _unrecorded.TryDequeue(out _);
            }
        }
    }

    private static readonly TransientRetry Forever = new(TimeSpan.MaxValue, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!_unrecorded.IsEmpty)
            logger.LogError("{Count} failed fire(s) could not be recorded before the Scheduler stopped: {Fires}", _unrecorded.Count,
                string.Join(", ", _unrecorded.Select(f => $"{f.Schedule} {f.Fire.ScheduledAt:O}")));
    }
}
