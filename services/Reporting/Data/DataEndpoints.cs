using Jobs.Plugins;
using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Movies;
using Jobs.Plugins.Preaggregates;
using Jobs.Plugins.Reddit;
using Jobs.Reporting.Security;

namespace Jobs.Reporting.Data;

/// <summary>
/// The data queries users run over what the integrations landed, under <c>/data</c> (role binding <c>read</c>). Each plugin's
/// queries live in its own folder (<c>plugins/&lt;Name&gt;</c>, its <see cref="IPluginData"/>); Reporting only mounts them here.
/// </summary>
public static class DataEndpoints
{
    public static IEndpointRouteBuilder MapDataEndpoints(this IEndpointRouteBuilder app)
    {
        var data = app.MapGroup("/data").RequireAuthorization(Operations.Read).WithTags("Data").ScopedToDataPlatform();
        data.MapPluginData<PreaggregatesPlugin>();
        data.MapPluginData<MoviesPlugin>();
        data.MapPluginData<CataloguePlugin>();
        data.MapPluginData<RedditPlugin>();
        return app;
    }
}
