namespace Jobs.Plugins.Movies;

/// <summary>The movies ETL: downloads, <c>movie_report</c> and its loads, and <c>GET /data/movies</c>.</summary>
public sealed class MoviesPlugin : IPlugin, IPluginData
{
    public void AddTo(PluginBuilder plugin)
    {
        plugin.AddOptions<MoviesOptions>(MoviesOptions.Section);
        plugin.AddIntegration<MoviesIntegration>();
    }

    public void MapData(IEndpointRouteBuilder data) => MovieReportQueries.Map(data);
}
