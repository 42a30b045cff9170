using Jobs.ServiceDefaults;

namespace Jobs.Plugins.Rest;

/// <summary>The declarative REST source: named sources and credentials (<c>Rest</c>), the <c>rest</c> integration.</summary>
public sealed class RestPlugin : IPlugin
{
    public void AddTo(PluginBuilder plugin)
    {
        plugin.AddOptions<RestOptions>(RestOptions.Section).ValidateProblems(o => o.Problems());
        plugin.AddIntegration<RestIntegration>();
    }
}
