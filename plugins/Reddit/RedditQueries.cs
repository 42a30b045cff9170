using System.Text.Json.Serialization;
using Npgsql;

namespace Jobs.Plugins.Reddit;

/// <summary>
/// A stored Reddit submission as <c>/data/reddit</c> returns it: the columns stored of it (<see cref="RedditSubmission"/>, the one
/// record of them) and when it was last fetched. JSON: the submission's fields in their order, then <c>fetchedAt</c>.
/// </summary>
public sealed record RedditSubmissionRow : RedditSubmission
{
    public RedditSubmissionRow(RedditSubmission submission, DateTimeOffset fetchedAt) : base(submission) => FetchedAt = fetchedAt;

    [JsonPropertyOrder(1)]
    public DateTimeOffset FetchedAt { get; init; }
}

/// <summary>How many submissions a subreddit got in one hour (UTC), by their posting time.</summary>
public sealed record RedditHourCount(DateTimeOffset Hour, string Subreddit, long Submissions);

/// <summary>Queries over <c>reddit_submissions</c> (written by the reddit integration); subreddits match case-insensitively.</summary>
public static class RedditQueries
{
    public const int MaxLimit = 200;
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);

    internal static void Map(IEndpointRouteBuilder data)
    {
        var reddit = data.MapGroup("/reddit");
        reddit.MapGet("/subreddits/{subreddit}/submissions", RecentAsync).WithName("RedditRecentSubmissions")
            .WithSummary("The most recently posted submissions of a subreddit, newest first");
        reddit.MapGet("/submissions/hourly", HourlyAsync).WithName("RedditSubmissionsPerHour")
            .WithSummary("Submissions per subreddit and hour (UTC) of posting, in [from, to) (default: the last 24 hours)");
    }

    private static async Task<IResult> RecentAsync(string subreddit, int? limit, NpgsqlDataSource postgres, CancellationToken cancellationToken)
    {
        var take = limit ?? 20;
        if (take is < 1 or > MaxLimit)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"must be between 1 and {MaxLimit}"] });
        var rows = await PostgresReads.ListAsync(postgres, """
            SELECT fullname, subreddit, title, author, created_utc, score, num_comments, selftext_length, url, permalink, fetched_at
            FROM reddit_submissions WHERE lower(subreddit) = lower(@subreddit)
            ORDER BY created_utc DESC, fullname DESC LIMIT @limit
            """,
            p =>
            {
                p.Add(new NpgsqlParameter<string>("subreddit", subreddit));
                p.Add(new NpgsqlParameter<int>("limit", take));
            },
            r => new RedditSubmissionRow(new RedditSubmission(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.GetFieldValue<DateTimeOffset>(4), r.GetInt32(5), r.GetInt32(6), r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8),
                r.IsDBNull(9) ? null : r.GetString(9)), r.GetFieldValue<DateTimeOffset>(10)),
            cancellationToken);
        return Results.Ok(rows);
    }

    private static async Task<IResult> HourlyAsync(string? subreddit, DateTimeOffset? from, DateTimeOffset? to, NpgsqlDataSource postgres,
        CancellationToken cancellationToken)
    {
        var end = to ?? DateTimeOffset.UtcNow;
        var start = from ?? end - TimeSpan.FromHours(24);
        if (start >= end || end - start > MaxWindow)
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["from"] = [$"must be before to, at most {MaxWindow.TotalDays:0} days earlier"],
            });
        var rows = await PostgresReads.ListAsync(postgres, """
            SELECT date_trunc('hour', created_utc, 'UTC'), subreddit, count(*)
            FROM reddit_submissions
            WHERE created_utc >= @from AND created_utc < @to AND (@subreddit::text IS NULL OR lower(subreddit) = lower(@subreddit))
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            p =>
            {
                p.Add(new NpgsqlParameter<DateTimeOffset>("from", start.ToUniversalTime()));
                p.Add(new NpgsqlParameter<DateTimeOffset>("to", end.ToUniversalTime()));
                p.Add(new NpgsqlParameter("subreddit", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)subreddit ?? DBNull.Value });
            },
            r => new RedditHourCount(r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetInt64(2)),
            cancellationToken);
        return Results.Ok(rows);
    }
}
