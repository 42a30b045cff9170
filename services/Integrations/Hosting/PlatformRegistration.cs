using Jobs.Platforms;
using Jobs.ServiceDefaults;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Before the bus starts: creates every hosted integration's tables, then publishes the hosted platforms and
/// their settings schemas to the catalog (so a platform is never offered before it can store its data), and the hooks it defines.
/// </summary>
public sealed class PlatformRegistration(
    IntegrationRegistry registry, PlatformCatalog catalog, HookCatalog hookCatalog, IEnumerable<Jobs.Plugins.IJobHook> hooks, PlatformDatabases databases,
    ILogger<PlatformRegistration> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StartupRetry.RunAsync(async token =>
        {
            // Each through its own role, which so owns its tables.
            foreach (var integration in registry.Hosted) await integration.EnsureStorageAsync(databases.For(integration.Name), token);
        }, "PostgreSQL", logger, cancellationToken);
        await StartupRetry.RunAsync(async _ =>
        {
            await catalog.PublishAsync(registry.Hosted.Select(i => i.Describe()));
            await hookCatalog.PublishAsync(hooks.Select(h => h.Describe()));
            logger.LogInformation("Hosting platforms {Platforms}; hooks {Hooks}", string.Join(", ", registry.Hosted.Select(i => i.Name)),
                string.Join(", ", hooks.Select(h => h.Name)));
        }, "Redis", logger, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
