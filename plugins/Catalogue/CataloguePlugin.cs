namespace Jobs.Plugins.Catalogue;

/// <summary>The product catalogue: configured vendors, the crawl, <c>products</c> and <c>product_history</c>, and <c>/data/catalogue</c>.</summary>
public sealed class CataloguePlugin : IPlugin, IPluginData
{
    public void AddTo(PluginBuilder plugin)
    {
        plugin.AddOptions<CatalogueOptions>(CatalogueOptions.Section);
        plugin.Services.AddSingleton<VendorCatalog>();
        plugin.AddIntegration<CatalogueIntegration>();
    }

    public void MapData(IEndpointRouteBuilder data) => CatalogueQueries.Map(data);
}
