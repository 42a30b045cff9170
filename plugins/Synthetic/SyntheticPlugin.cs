namespace Jobs.Plugins.Synthetic;

/// <summary>The synthetic platform (children, grandchildren, failures on demand): no storage, no options, no data endpoints.</summary>
public sealed class SyntheticPlugin : IPlugin
{
    public void AddTo(PluginBuilder plugin) => plugin.AddIntegration<SyntheticIntegration>();
}
