using Jobs.Platforms;

namespace Jobs.Integrations.Hosting;

/// <summary>Publishes the hosted platforms and their settings schemas to the catalog before the bus starts.</summary>
public sealed class PlatformRegistration(IntegrationRegistry registry, PlatformCatalog catalog, ILogger<PlatformRegistration> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await catalog.PublishAsync(registry.Hosted.Select(i => i.Describe()));
                logger.LogInformation("Hosting platforms {Platforms}", string.Join(", ", registry.Hosted.Select(i => i.Name)));
                return;
            }
            catch (Exception ex) when (attempt < 30 && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not publish platforms to Redis ({Error}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
