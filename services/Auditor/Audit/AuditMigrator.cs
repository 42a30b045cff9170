using Jobs.ServiceDefaults;
using Npgsql;

namespace Jobs.Auditor.Audit;

/// <summary>Applies the audit schema's migrations (<see cref="AuditSchema"/>) before the bus starts consuming.</summary>
public sealed class AuditMigrator(NpgsqlDataSource dataSource, ILogger<AuditMigrator> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        StartupRetry.RunAsync(async token =>
        {
            var applied = await AuditSchema.MigrateAsync(dataSource, logger, token);
            logger.LogInformation("Audit schema is up to date (version {Version}, {Applied} applied now)", AuditSchema.Migrations[^1].Version, applied.Count);
        }, "PostgreSQL", logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
