namespace Jobs.Scheduler.Schedules;

/// <summary>At start: the runs table, then every schedule declared in configuration saved into the store.</summary>
public sealed class ConfiguredSchedules(ScheduleRuns runs, ScheduleStore store, IConfiguration configuration, ILogger<ConfiguredSchedules> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await runs.EnsureSchemaAsync(cancellationToken);
                break;
            }
            catch (Npgsql.NpgsqlException ex) when (attempt < 30)
            {
                logger.LogWarning("PostgreSQL not reachable yet ({Error}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }

        foreach (var spec in ScheduleOptions.Read(configuration))
            await store.SyncAsync(spec, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
