using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Plugins.Reddit;

namespace Jobs.Reporting.Tests;

public sealed class RedditQueriesTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static readonly DateTimeOffset Noon = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static string NewSubreddit() => $"Sub_{Guid.NewGuid():N}"[..21];

    private static RedditSubmission Submission(string subreddit, string fullname, DateTimeOffset created, string title = "a title") =>
        new(fullname, subreddit, title, "someone", created, 5, 2, 10, "https://example.org/" + fullname, $"/r/{subreddit}/comments/{fullname}/");

    private async Task StoreAsync(string listing, params RedditSubmission[] submissions)
    {
        await SubmissionStore.EnsureSchemaAsync(reporting.Postgres, CancellationToken.None);
        await SubmissionStore.UpsertAsync(reporting.Postgres, listing, submissions, CancellationToken.None);
    }

    private static string Fullname() => "t3_" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task When_submissions_are_stored_Should_list_a_subreddits_most_recent_first_case_insensitively_up_to_the_limit()
    {
        var subreddit = NewSubreddit();
        var names = Enumerable.Range(0, 4).Select(_ => Fullname()).ToList();
        await StoreAsync(subreddit.ToLowerInvariant(), names.Select((n, i) => Submission(subreddit, n, Noon.AddMinutes(i), $"title {i}")).ToArray());
        await StoreAsync("all", Submission(NewSubreddit(), Fullname(), Noon.AddHours(1)));

        var rows = await reporting.Client.GetFromJsonAsync<JsonElement>($"/data/reddit/subreddits/{subreddit.ToUpperInvariant()}/submissions?limit=3");

        Assert.Equal([names[3], names[2], names[1]], rows.EnumerateArray().Select(r => r.GetProperty("fullname").GetString()));
        var newest = rows[0];
        Assert.Equal((subreddit, "title 3", "someone", Noon.AddMinutes(3), 5, 2, 10, $"/r/{subreddit}/comments/{names[3]}/"),
            (newest.GetProperty("subreddit").GetString(), newest.GetProperty("title").GetString(), newest.GetProperty("author").GetString(),
                newest.GetProperty("createdUtc").GetDateTimeOffset(), newest.GetProperty("score").GetInt32(), newest.GetProperty("numComments").GetInt32(),
                newest.GetProperty("selftextLength").GetInt32(), newest.GetProperty("permalink").GetString()));
    }

    [Fact]
    public async Task A_stored_submission_reads_back_with_the_stored_fields_in_order_and_when_it_was_fetched()
    {
        var subreddit = NewSubreddit();
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        await StoreAsync(subreddit.ToLowerInvariant(), Submission(subreddit, Fullname(), Noon));

        var row = (await reporting.Client.GetFromJsonAsync<JsonElement>($"/data/reddit/subreddits/{subreddit}/submissions"))[0];

        Assert.Equal(["fullname", "subreddit", "title", "author", "createdUtc", "score", "numComments", "selftextLength", "url", "permalink", "fetchedAt"],
            row.EnumerateObject().Select(p => p.Name));
        Assert.InRange(row.GetProperty("fetchedAt").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task When_asking_for_counts_per_hour_Should_count_each_subreddits_submissions_by_posting_hour_within_the_window()
    {
        var (one, two) = (NewSubreddit(), NewSubreddit());
        await StoreAsync(one.ToLowerInvariant(),
            Submission(one, Fullname(), Noon.AddMinutes(5)), Submission(one, Fullname(), Noon.AddMinutes(59)),
            Submission(one, Fullname(), Noon.AddHours(1)), Submission(one, Fullname(), Noon.AddHours(3)));
        await StoreAsync(two.ToLowerInvariant(), Submission(two, Fullname(), Noon.AddMinutes(30)));
        var window = $"from={Uri.EscapeDataString(Noon.ToString("O"))}&to={Uri.EscapeDataString(Noon.AddHours(3).ToString("O"))}";

        var mine = await reporting.Client.GetFromJsonAsync<JsonElement>($"/data/reddit/submissions/hourly?subreddit={one.ToLowerInvariant()}&{window}");
        var both = await reporting.Client.GetFromJsonAsync<JsonElement>($"/data/reddit/submissions/hourly?{window}");

        Assert.Equal([(Noon, one, 2L), (Noon.AddHours(1), one, 1L)], Rows(mine));
        Assert.Equal([(Noon, one, 2L), (Noon, two, 1L), (Noon.AddHours(1), one, 1L)],
            Rows(both).Where(r => r.Subreddit == one || r.Subreddit == two).OrderBy(r => r.Hour).ThenBy(r => r.Subreddit == two));
    }

    private static IEnumerable<(DateTimeOffset Hour, string Subreddit, long Submissions)> Rows(JsonElement rows) =>
        rows.EnumerateArray().Select(r =>
            (r.GetProperty("hour").GetDateTimeOffset(), r.GetProperty("subreddit").GetString()!, r.GetProperty("submissions").GetInt64()));

    [Theory]
    [InlineData("/data/reddit/subreddits/askreddit/submissions?limit=0", "limit")]
    [InlineData("/data/reddit/subreddits/askreddit/submissions?limit=201", "limit")]
    [InlineData("/data/reddit/submissions/hourly?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z", "from")]
    [InlineData("/data/reddit/submissions/hourly?from=2024-01-01T00:00:00Z&to=2024-03-01T00:00:00Z", "from")]
    public async Task When_the_limit_or_the_window_is_out_of_range_Should_answer_400_naming_the_parameter(string path, string parameter)
    {
        var response = await reporting.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.GetRawText());
    }

    [Fact]
    public async Task When_asked_without_an_api_key_Should_answer_401()
    {
        using var anonymous = reporting.ClientWith(null);

        var response = await anonymous.GetAsync("/data/reddit/submissions/hourly");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
