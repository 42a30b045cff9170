using System.ComponentModel.DataAnnotations;

namespace Jobs.Plugins.Reddit;

/// <summary>Configuration section <c>Reddit</c> of the Integrations service.</summary>
public sealed class RedditOptions
{
    public const string Section = "Reddit";

    /// <summary>Prefix of the integration's Redis keys (cursors, tokens).</summary>
    [Required(ErrorMessage = "Reddit:RedisPrefix must not be empty")]
    public string RedisPrefix { get; set; } = "reddit:";

    /// <summary>A subreddit's cursor is dropped after this long without progress (its next run falls back to the stored submissions).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Reddit:CursorLifetime must be between {1} and {2}")]
    public TimeSpan CursorLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A cached OAuth token is dropped this long before Reddit says it expires.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Reddit:TokenExpiryMargin must be between {1} and {2}")]
    public TimeSpan TokenExpiryMargin { get; set; } = TimeSpan.FromMinutes(1);
}
