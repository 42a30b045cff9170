using System.Diagnostics.CodeAnalysis;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Jobs.Plugins;

/// <summary>What a plugin registers itself with (<see cref="IPlugin.AddTo"/>): its integration, its options, its services.</summary>
public sealed class PluginBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>Registers the plugin's integration: the one way an <see cref="IIntegration"/> gets into the Integrations host.</summary>
    public PluginBuilder AddIntegration<TIntegration>() where TIntegration : class, IIntegration
    {
        Services.AddSingleton<IIntegration, TIntegration>();
        return this;
    }

    /// <summary>Registers a hook (<see cref="IJobHook"/>) jobs of every platform may name in their <c>hooks</c> setting.</summary>
    public PluginBuilder AddHook<THook>() where THook : class, IJobHook
    {
        Services.AddSingleton<IJobHook, THook>();
        return this;
    }

    /// <summary>The plugin's options from configuration section <paramref name="section"/>, validated at start (<see cref="OptionsValidation.AddValidatedOptions{TOptions}"/>).</summary>
    public OptionsBuilder<TOptions> AddOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions>(string section)
        where TOptions : class =>
        Services.AddValidatedOptions<TOptions>(section);
}
