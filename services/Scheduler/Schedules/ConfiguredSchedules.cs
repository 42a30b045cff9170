using Jobs.ServiceDefaults;

namespace Jobs.Scheduler.Schedules;

/// <summary>At start: the runs table, then every schedule declared in configuration saved into the store.</summary>
public sealed class ConfiguredSchedules(ScheduleRuns runs, ScheduleStore store, IConfiguration configuration, ILogger<ConfiguredSchedules> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StartupRetry.RunAsync(runs.EnsureSchemaAsync, "PostgreSQL", logger, cancellationToken);

        foreach (var spec in ScheduleOptions.Read(configuration))
            await store.SyncAsync(spec, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
