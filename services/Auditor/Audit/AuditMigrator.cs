using Microsoft.EntityFrameworkCore;

namespace Jobs.Auditor.Audit;

/// <summary>Applies the audit schema's migrations before the bus starts consuming.</summary>
public sealed class AuditMigrator(IServiceScopeFactory scopes, ILogger<AuditMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuditDbContext>();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                logger.LogInformation("Audit schema is up to date");
                return;
            }
            catch (Npgsql.NpgsqlException ex) when (attempt < 30 && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("PostgreSQL not reachable yet ({Error}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
