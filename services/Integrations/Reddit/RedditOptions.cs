namespace Jobs.Integrations.Reddit;

/// <summary>Configuration section <c>Reddit</c> of the Integrations service.</summary>
public sealed class RedditOptions
{
    /// <summary>Prefix of the integration's Redis keys (cursors, tokens).</summary>
    public string RedisPrefix { get; set; } = "reddit:";

    /// <summary>A subreddit's cursor is dropped after this long without progress (its next run falls back to the stored submissions).</summary>
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A cached OAuth token is dropped this long before Reddit says it expires.</summary>
    public TimeSpan TokenExpiryMargin { get; set; } = TimeSpan.FromMinutes(1);
}
