using Jobs.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Jobs.Auditor.Audit;

/// <summary>Applies the audit schema's migrations before the bus starts consuming.</summary>
public sealed class AuditMigrator(IServiceScopeFactory scopes, ILogger<AuditMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuditDbContext>();
        await StartupRetry.RunAsync(async token =>
        {
            await db.Database.MigrateAsync(token);
            logger.LogInformation("Audit schema is up to date");
        }, "PostgreSQL", logger, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
