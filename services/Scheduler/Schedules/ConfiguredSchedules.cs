using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Jobs.Scheduler.Schedules;

/// <summary>At start: the runs and backfill tables, then every schedule declared in configuration saved into the store.</summary>
public sealed class ConfiguredSchedules(ScheduleRuns runs, Backfills backfills, ScheduleStore store, IOptions<ScheduleOptions> options, ILogger<ConfiguredSchedules> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StartupRetry.RunAsync(runs.EnsureSchemaAsync, "PostgreSQL", logger, cancellationToken);
        await StartupRetry.RunAsync(backfills.EnsureSchemaAsync, "PostgreSQL", logger, cancellationToken);

        foreach (var declared in options.Value.Schedules)
            await store.SyncAsync(declared.Spec, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
