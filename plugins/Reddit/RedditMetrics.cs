using Prometheus;

namespace Jobs.Plugins.Reddit;

/// <summary>
/// Reddit metrics, labelled by the subreddit listing fetched (the configured name, lower case: bounded by configuration,
/// where a post's own subreddit in r/all would not be). The HTTP ones per host are in <see cref="Jobs.Plugins.Http.HttpMetrics"/>.
/// </summary>
public static class RedditMetrics
{
    public static readonly Histogram FetchSeconds = Metrics.CreateHistogram("reddit_submission_fetch_seconds",
        "Time to fetch and read one listing page of new submissions (rate-limit waits and retries included); average = _sum / _count",
        new HistogramConfiguration { LabelNames = ["subreddit"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 14) });

    public static readonly Counter NewSubmissions = Metrics.CreateCounter("reddit_new_submissions_total",
        "Submissions stored for the first time", "subreddit");

    public static readonly Counter NewComments = Metrics.CreateCounter("reddit_new_comments_total",
        "Comments not counted before: num_comments of a new submission, or its growth when a stored one is read again", "subreddit");

    public static readonly Histogram TitleLength = Metrics.CreateHistogram("reddit_submission_title_length_chars",
        "Title length of new submissions, in characters (Reddit allows 300)",
        new HistogramConfiguration { LabelNames = ["subreddit"], Buckets = [10, 20, 30, 40, 60, 80, 100, 150, 200, 300] });

    public static readonly Histogram BodyLength = Metrics.CreateHistogram("reddit_submission_body_length_chars",
        "Self-text length of new submissions, in characters (0 for link posts)",
        new HistogramConfiguration { LabelNames = ["subreddit"], Buckets = [0, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000, 40000] });

    public static readonly Histogram PostingHour = Metrics.CreateHistogram("reddit_submission_posting_hour",
        "Hour of the day (UTC, 0-23) new submissions were posted at; bucket le=\"h\" holds the hours up to h",
        new HistogramConfiguration { LabelNames = ["subreddit"], Buckets = Histogram.LinearBuckets(0, 1, 24) });

    /// <summary>Counts what one upsert stored for the first time and the comments it had not counted before.</summary>
    internal static void Record(string subreddit, IReadOnlyList<RedditSubmission> submissions, IReadOnlyList<SubmissionWrite> writes)
    {
        var byName = submissions.ToDictionary(s => s.Fullname, StringComparer.Ordinal);
        foreach (var write in writes)
        {
            if (write.NewComments > 0) NewComments.WithLabels(subreddit).Inc(write.NewComments);
            if (!write.Created || !byName.TryGetValue(write.Fullname, out var submission)) continue;
            NewSubmissions.WithLabels(subreddit).Inc();
            TitleLength.WithLabels(subreddit).Observe(submission.Title.Length);
            BodyLength.WithLabels(subreddit).Observe(submission.SelftextLength);
            PostingHour.WithLabels(subreddit).Observe(submission.CreatedUtc.UtcDateTime.Hour);
        }
    }
}
