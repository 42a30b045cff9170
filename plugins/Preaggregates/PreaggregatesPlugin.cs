using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// Preaggregates metadata: its configuration (section <c>Preaggregates</c>), its readers and its writer, the published
/// document in Redis, and <c>GET /data/preaggregates</c>.
/// </summary>
public sealed class PreaggregatesPlugin : IPlugin, IPluginData
{
    public void AddTo(PluginBuilder plugin)
    {
        plugin.AddOptions<PreaggregatesOptions>(PreaggregatesOptions.Section);
        plugin.Services.TryAddSingleton(TimeProvider.System);
        // One reader per kind of source; another database is one more class and one more line here.
        plugin.Services.AddSingleton<IPreaggregateReader, PostgresPreaggregateReader>();
        plugin.Services.AddSingleton<IPreaggregatesWriter, RedisPreaggregatesWriter>();
        plugin.AddIntegration<PreaggregatesIntegration>();
    }

    public void MapData(IEndpointRouteBuilder data) => PreaggregatesQueries.Map(data);
}
