using Jobs.Platforms;
using Jobs.ServiceDefaults;

namespace Jobs.Integrations.Hosting;

/// <summary>Publishes the hosted platforms and their settings schemas to the catalog before the bus starts.</summary>
public sealed class PlatformRegistration(IntegrationRegistry registry, PlatformCatalog catalog, ILogger<PlatformRegistration> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StartupRetry.RunAsync(async _ =>
        {
            await catalog.PublishAsync(registry.Hosted.Select(i => i.Describe()));
            logger.LogInformation("Hosting platforms {Platforms}", string.Join(", ", registry.Hosted.Select(i => i.Name)));
        }, "Redis", logger, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
