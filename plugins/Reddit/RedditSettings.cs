using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Jobs.Platforms;
using Jobs.Plugins.Storage;

namespace Jobs.Plugins.Reddit;

/// <summary>Settings of a <c>reddit</c> job.</summary>
public sealed class RedditSettings
{
    public const string PublicApi = "https://www.reddit.com";
    public const string OAuthApi = "https://oauth.reddit.com";
    public const string DefaultTokenUrl = "https://www.reddit.com/api/v1/access_token";

    [Required]
    [Description("Subreddits whose new submissions are fetched, one child each: names such as askreddit (an r/ prefix is dropped), or a+b for several")]
    public List<string> Subreddits { get; set; } = [];

    [Description("API origin; empty: https://oauth.reddit.com with client credentials, https://www.reddit.com without")]
    public string? ApiBaseUrl { get; set; }

    [Description("OAuth token endpoint for the app-only (client_credentials) grant")]
    public string TokenUrl { get; set; } = DefaultTokenUrl;

    [Description("OAuth client id of a Reddit app; with client_secret the requests carry an app-only token (cached in Redis until it expires)")]
    public string? ClientId { get; set; }

    [Secret]
    [Description("OAuth client secret of the Reddit app")]
    public string? ClientSecret { get; set; }

    [Description("User-Agent Reddit asks for: <platform>:<app id>:<version> (by /u/<username>)")]
    public string UserAgent { get; set; } = "linux:jobs-platform-reddit:1.0 (by /u/jobs-platform)";

    [Description("Submissions per listing request (Reddit allows at most 100)")]
    [Range(1, 100)]
    public int PageLimit { get; set; } = 100;

    [Description("Listing requests per subreddit and run at most; what is left is fetched by the next run")]
    [Range(1, 100)]
    public int MaxPages { get; set; } = 10;

    [Description("Pages of the latest submissions a subreddit's first run takes (no cursor and nothing stored yet)")]
    [Range(1, 10)]
    public int FirstRunPages { get; set; } = 1;

    [Description("Where the submissions go: {\"target\": a name in Storage:Targets} or {\"type\": postgres|mysql|csv|jsonl, \"settings\": {...}} (table reddit_submissions unless settings.table names another; a cursor of its own per target); absent: the platform's table reddit_submissions")]
    public StorageSettings? Storage { get; set; }
}

/// <summary>What a <c>subreddit</c> child is given: its subreddit and the job's API settings.</summary>
public sealed record RedditStep
{
    /// <summary>The listing fetched, <c>r/&lt;subreddit&gt;/new</c>, lower case.</summary>
    public string Subreddit { get; init; } = "";

    public string ApiBaseUrl { get; init; } = RedditSettings.PublicApi;

    public string TokenUrl { get; init; } = RedditSettings.DefaultTokenUrl;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientId { get; init; }

    /// <summary>Travels to the child in its message; its name is masked wherever settings are shown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientSecret { get; init; }

    public string UserAgent { get; init; } = "";

    public int PageLimit { get; init; } = 100;

    public int MaxPages { get; init; } = 10;

    public int FirstRunPages { get; init; } = 1;

    /// <summary>The job's storage target, null for the platform's table; its password travels masked wherever settings are shown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StorageSettings? Storage { get; init; }

    [JsonIgnore]
    public bool HasCredentials => ClientId is { Length: > 0 } && ClientSecret is { Length: > 0 };
}
