using Microsoft.AspNetCore.Routing;

namespace Jobs.Plugins;

/// <summary>
/// A data-source plugin: exactly one class per <c>plugins/&lt;Name&gt;</c> project implements it. The Integrations host registers
/// each plugin with one call, <see cref="PluginRegistration.AddPlugin{TPlugin}"/>.
/// </summary>
public interface IPlugin
{
    /// <summary>
    /// Registers the plugin's integration (<see cref="PluginBuilder.AddIntegration{TIntegration}"/>), its options
    /// (<see cref="PluginBuilder.AddOptions{TOptions}"/>) and the services its integration needs.
    /// </summary>
    void AddTo(PluginBuilder plugin);
}

/// <summary>
/// The read side of a plugin: the queries Reporting mounts under <c>/data</c> with <see cref="PluginRegistration.MapPluginData{TPlugin}"/>.
/// They only read the plugin's tables or keys; the plugin's integration is their only writer.
/// </summary>
public interface IPluginData
{
    /// <summary>Maps the plugin's endpoints onto <paramref name="data"/> (Reporting's <c>/data</c> group: its authorization and tags apply).</summary>
    void MapData(IEndpointRouteBuilder data);
}
