using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Jobs.Plugins;

/// <summary>The single registration pattern: one <c>AddPlugin</c> per plugin in the Integrations host, one <c>MapPluginData</c> in Reporting.</summary>
public static class PluginRegistration
{
    /// <summary>Registers plugin <typeparamref name="TPlugin"/>: its integration, options and services.</summary>
    public static IHostApplicationBuilder AddPlugin<TPlugin>(this IHostApplicationBuilder builder) where TPlugin : IPlugin, new()
    {
        new TPlugin().AddTo(new PluginBuilder(builder.Services));
        return builder;
    }

    /// <summary>Mounts the data endpoints of plugin <typeparamref name="TPlugin"/> onto <paramref name="data"/>.</summary>
    public static IEndpointRouteBuilder MapPluginData<TPlugin>(this IEndpointRouteBuilder data) where TPlugin : IPluginData, new()
    {
        new TPlugin().MapData(data);
        return data;
    }
}
