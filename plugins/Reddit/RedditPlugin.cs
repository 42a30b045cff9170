namespace Jobs.Plugins.Reddit;

/// <summary>Reddit submissions: the listing API, cursors per subreddit, <c>reddit_submissions</c>, and <c>/data/reddit</c>.</summary>
public sealed class RedditPlugin : IPlugin, IPluginData
{
    public void AddTo(PluginBuilder plugin)
    {
        plugin.AddOptions<RedditOptions>(RedditOptions.Section);
        plugin.AddIntegration<RedditIntegration>();
    }

    public void MapData(IEndpointRouteBuilder data) => RedditQueries.Map(data);
}
