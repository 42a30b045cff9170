using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Reddit;

/// <summary>
/// Real listings recorded from Reddit, read from <c>../shared/data/reddit</c> beside the repository (never copied into
/// it): r/all page 1 and the <c>before=t3_5jo13y</c> page 2 taken right after it, r/AskReddit, and a 2020 r/test listing.
/// </summary>
public static class RealRedditData
{
    public const string AllPage1 = "all_new_limit100_2016-12-22_page1.json";
    public const string AllPage2Before5jo13y = "all_new_before_t3_5jo13y_2016-12-22_page2.json";
    public const string AskReddit = "askreddit_new_limit100_2016-03-01.json";
    public const string GoReddit2020 = "go-reddit_subreddit_posts_2020.json";

    public static string Directory => Path.GetFullPath(Path.Combine(ServiceSystem.RepositoryRoot(), "..", "shared", "data", "reddit"));

    public static bool Present => new[] { AllPage1, AllPage2Before5jo13y, AskReddit, GoReddit2020 }.All(f => File.Exists(Path.Combine(Directory, f)));

    public static string Read(string file) => File.ReadAllText(Path.Combine(Directory, file));
}

/// <summary>A fact over the recorded Reddit listings: skipped, saying why, where <c>../shared/data/reddit</c> is absent.</summary>
public sealed class RealRedditDataFactAttribute : FactAttribute
{
    public RealRedditDataFactAttribute()
    {
        if (!RealRedditData.Present) Skip = $"the recorded Reddit listings are not in {RealRedditData.Directory}";
    }
}
