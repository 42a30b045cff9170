using Microsoft.Extensions.Options;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// Every <see cref="SchedulerOptions.BackfillSweepInterval"/>: goes on with every backfill that has jobs to start (<see cref="Backfills.SweepAsync"/>).
/// Jobs normally start as soon as another one's end arrives; this is what carries a backfill over a restart, a lost start or a lost end.
/// </summary>
public sealed class BackfillSweeper(Backfills backfills, IOptions<SchedulerOptions> options, ILogger<BackfillSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.BackfillSweepInterval);
        do
        {
            try
            {
                await backfills.SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store or the broker is away: the next sweep tries again.
                logger.LogWarning(ex, "Backfill sweep failed; trying again in {Interval}", options.Value.BackfillSweepInterval);
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
