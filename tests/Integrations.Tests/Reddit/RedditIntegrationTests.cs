using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Integrations.Reddit;

namespace Jobs.Integrations.Tests.Reddit;

public sealed class RedditIntegrationTests(HostFixture host) : IClassFixture<HostFixture>
{
    private static readonly TimeSpan ResetLowerBound = TimeSpan.FromSeconds(0.9);

    private static double NewCount(string subreddit) => RedditMetrics.NewSubmissions.WithLabels(subreddit).Value;

    [Fact]
    public async Task When_a_subreddit_runs_for_the_first_time_Should_store_only_the_latest_page_and_set_the_cursor_to_its_newest()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 12);

        await reddit.RunSubredditAsync(subreddit, pageLimit: 5);

        var latest = reddit.Api.Fullnames(subreddit).Take(5).ToList();
        Assert.Equal(latest, await reddit.StoredAsync(subreddit));
        Assert.Equal(latest[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        var request = Assert.Single(reddit.Api.ListingRequests);
        Assert.Equal(($"/r/{subreddit}/new.json", null, null, 5), (request.Path, request.Before, request.After, request.Limit));
        Assert.Equal(5, NewCount(subreddit));
    }

    [Fact]
    public async Task When_the_first_run_may_take_two_pages_Should_page_back_with_after_and_stop_there()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 12);

        await reddit.RunSubredditAsync(subreddit, pageLimit: 5, firstRunPages: 2);

        var all = reddit.Api.Fullnames(subreddit);
        Assert.Equal(all.Take(10), await reddit.StoredAsync(subreddit));
        Assert.Equal(all[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        Assert.Equal([(null, null), (null, all[4])], reddit.Api.ListingRequests.Select(r => (r.Before, r.After)));
    }

    [RealRedditDataFact]
    public async Task When_the_recorded_r_all_pages_are_served_Should_store_page_one_then_only_the_four_newer_fetched_with_before()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var listing = RedditHarness.NewSubreddit();
        var page1 = RealRedditData.Read(RealRedditData.AllPage1);
        var page2 = RealRedditData.Read(RealRedditData.AllPage2Before5jo13y);
        reddit.Api.Recorded = request => request.Before switch
        {
            null => page1,
            "t3_5jo13y" => page2,
            _ => FakeRedditApi.EmptyListing(),
        };
        var firstNames = RedditHarness.ChildrenOf(page1).Select(c => (string)c!["data"]!["name"]!).ToList();
        var newerNames = RedditHarness.ChildrenOf(page2).Select(c => (string)c!["data"]!["name"]!).ToList();

        await reddit.RunSubredditAsync(listing);

        Assert.Equal(100, (await reddit.StoredAsync(listing)).Count);
        Assert.Equal(firstNames.ToHashSet(), (await reddit.StoredAsync(listing)).ToHashSet());
        Assert.Equal("t3_5jo13y", (await reddit.Cursors.GetAsync(listing))?.Fullname);
        Assert.Equal(100, NewCount(listing));

        await reddit.RunSubredditAsync(listing);

        var stored = await reddit.StoredAsync(listing);
        Assert.Equal(104, stored.Count);
        Assert.Equal(firstNames.Concat(newerNames).ToHashSet(), stored.ToHashSet());
        Assert.Equal(["t3_5jo144", "t3_5jo143", "t3_5jo141", "t3_5jo140"], newerNames);
        Assert.Equal("t3_5jo144", (await reddit.Cursors.GetAsync(listing))?.Fullname);
        Assert.Equal([null, "t3_5jo13y"], reddit.Api.ListingRequests.Select(r => r.Before));
        Assert.Equal(104, NewCount(listing));
    }

    [RealRedditDataFact]
    public async Task When_a_recorded_askreddit_listing_is_stored_Should_keep_each_field_as_reddit_sent_it()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var listing = RedditHarness.NewSubreddit();
        var body = RealRedditData.Read(RealRedditData.AskReddit);
        reddit.Api.Recorded = _ => body;

        await reddit.RunSubredditAsync(listing);

        var posts = RedditHarness.ChildrenOf(body).Select(c => c!["data"]!.AsObject()).ToList();
        Assert.Equal(100, (await reddit.StoredAsync(listing)).Count);
        Assert.Equal("t3_48fbm9", (await reddit.Cursors.GetAsync(listing))?.Fullname);
        var self = posts.First(p => ((string?)p["selftext"])?.Length > 0);
        await using var command = reddit.Postgres.CreateCommand("""
            SELECT subreddit, title, author, created_utc, score, num_comments, selftext_length, url, permalink, listing
            FROM reddit_submissions WHERE fullname = @fullname
            """);
        command.Parameters.AddWithValue("fullname", (string)self["name"]!);
        await using var row = await command.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal(
            ("AskReddit", (string)self["title"]!, (string)self["author"]!, DateTimeOffset.FromUnixTimeSeconds((long)(double)self["created_utc"]!),
                (int)self["score"]!, (int)self["num_comments"]!, ((string)self["selftext"]!).Length, (string)self["url"]!, (string)self["permalink"]!, listing),
            (row.GetString(0), row.GetString(1), row.GetString(2), new DateTimeOffset(row.GetDateTime(3), TimeSpan.Zero), row.GetInt32(4), row.GetInt32(5),
                row.GetInt32(6), row.GetString(7), row.GetString(8), row.GetString(9)));
    }

    [RealRedditDataFact]
    public async Task When_a_recorded_listing_is_not_newest_first_Should_set_the_cursor_to_the_newest_by_created_utc()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var listing = RedditHarness.NewSubreddit();
        var body = RealRedditData.Read(RealRedditData.GoReddit2020);
        reddit.Api.Recorded = _ => body;

        await reddit.RunSubredditAsync(listing);

        // The 2020 r/test listing names t3_agi5zf (2019) before t3_hyhquk (2020).
        Assert.Equal(["t3_hyhquk", "t3_agi5zf"], await reddit.StoredAsync(listing));
        Assert.Equal("t3_hyhquk", (await reddit.Cursors.GetAsync(listing))?.Fullname);
    }

    [Fact]
    public async Task When_later_runs_find_newer_submissions_Should_page_with_before_store_only_those_and_nothing_when_none_are_new()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 4);
        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);
        var cursor = (await reddit.Cursors.GetAsync(subreddit))!.Fullname;
        reddit.Api.Publish(subreddit, 7);

        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);

        var all = reddit.Api.Fullnames(subreddit);
        Assert.Equal(all.Take(10), await reddit.StoredAsync(subreddit)); // the oldest was never on a first page
        Assert.Equal(all[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        Assert.Equal([cursor, all[4], all[1]], reddit.Api.ListingRequests.Skip(1).Select(r => r.Before));
        Assert.Equal(10, NewCount(subreddit));

        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);

        Assert.Equal(all.Take(10), await reddit.StoredAsync(subreddit));
        Assert.Equal(all[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        var quiet = reddit.Api.ListingRequests.Skip(4).ToList();
        Assert.Equal([(all[0], 3), (null, 1)], quiet.Select(r => (r.Before, r.Limit)));
        Assert.Equal(10, NewCount(subreddit));
    }

    [Fact]
    public async Task When_the_cursor_post_was_deleted_Should_fall_back_to_the_created_utc_of_the_newest_stored_submission()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 3);
        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);
        var deleted = (await reddit.Cursors.GetAsync(subreddit))!.Fullname;
        reddit.Api.Delete(subreddit, deleted);
        var newer = reddit.Api.Publish(subreddit, 4).Select(p => (string)p["name"]!).Reverse().ToList();

        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);

        var stored = await reddit.StoredAsync(subreddit);
        Assert.Equal(7, stored.Count);
        Assert.Equal(newer, stored.Take(4));
        Assert.Contains(deleted, stored);
        Assert.Equal(newer[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        // An empty page for the cursor, the latest one to see newer ones exist, then back from the latest until older than stored.
        Assert.Equal([(deleted, null, 3), (null, null, 1), (null, null, 3), (null, newer[2], 3)],
            reddit.Api.ListingRequests.Skip(1).Select(r => (r.Before, r.After, r.Limit)));
        Assert.Equal(7, NewCount(subreddit));
    }

    [Fact]
    public async Task When_the_cursor_is_lost_from_redis_Should_continue_from_the_newest_stored_submission_without_counting_it_again()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 3);
        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);
        await reddit.Redis.KeyDeleteAsync(reddit.Cursors.KeyOf(subreddit));
        reddit.Api.Publish(subreddit, 2);

        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);

        var all = reddit.Api.Fullnames(subreddit);
        Assert.Equal(all, await reddit.StoredAsync(subreddit));
        Assert.Equal(all[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        Assert.Equal(5, NewCount(subreddit));
    }

    [Fact]
    public async Task When_the_api_says_no_requests_remain_Should_hold_the_next_request_until_the_reset()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 4);
        reddit.Api.Script(_ => new ScriptedAnswer(200, null, new Dictionary<string, string>
        {
            [RedditApi.RemainingHeader] = "0.0", [RedditApi.ResetHeader] = "1", ["X-Ratelimit-Used"] = "600",
        }));

        await reddit.RunSubredditAsync(subreddit, pageLimit: 2, firstRunPages: 2);

        Assert.Equal(reddit.Api.Fullnames(subreddit), await reddit.StoredAsync(subreddit));
        var requests = reddit.Api.ListingRequests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].At - requests[0].At >= ResetLowerBound,
            $"the second request came {(requests[1].At - requests[0].At).TotalMilliseconds:F0} ms after the first; the reset was 1 s");
    }

    [Fact]
    public async Task When_the_api_answers_429_Should_retry_after_its_reset_and_store_the_page()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 3);
        reddit.Api.Script(_ => new ScriptedAnswer(429, """{"message": "Too Many Requests", "error": 429}""", new Dictionary<string, string>
        {
            [RedditApi.RemainingHeader] = "0", [RedditApi.ResetHeader] = "1",
        }));

        await reddit.RunSubredditAsync(subreddit, pageLimit: 3);

        Assert.Equal(reddit.Api.Fullnames(subreddit), await reddit.StoredAsync(subreddit));
        var requests = reddit.Api.ListingRequests;
        Assert.Equal(2, requests.Count);
        // Without the reset the retry would follow the 10 ms backoff of the test's HTTP policy.
        Assert.True(requests[1].At - requests[0].At >= ResetLowerBound,
            $"the retry came {(requests[1].At - requests[0].At).TotalMilliseconds:F0} ms after the 429; its reset was 1 s");
    }

    [Fact]
    public async Task When_a_page_is_malformed_json_Should_fail_the_child_with_the_url_and_reason_keep_the_cursor_and_lose_nothing_on_the_next_run()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 2);
        await reddit.RunSubredditAsync(subreddit, pageLimit: 2);
        var cursor = await reddit.Cursors.GetAsync(subreddit);
        reddit.Api.Publish(subreddit, 5);
        var firstPage = true;
        reddit.Api.Script(request =>
        {
            if (firstPage) { firstPage = false; return null; }
            return new ScriptedAnswer(200, """{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_""");
        });

        var failed = await reddit.RunAsync(new { subreddits = new[] { subreddit }, page_limit = 2 });

        var outcome = failed.Only;
        Assert.False(outcome.Succeeded);
        var broken = reddit.Api.ListingRequests[^1];
        Assert.Contains($"{reddit.Api.BaseUri}r/{subreddit}/new.json?limit=2&raw_json=1&before={broken.Before}", outcome.Error);
        Assert.Contains("malformed JSON", outcome.Error);
        Assert.Equal(cursor, await reddit.Cursors.GetAsync(subreddit));

        await reddit.RunSubredditAsync(subreddit, pageLimit: 2);

        var all = reddit.Api.Fullnames(subreddit);
        Assert.Equal(all, await reddit.StoredAsync(subreddit));
        Assert.Equal(all[0], (await reddit.Cursors.GetAsync(subreddit))?.Fullname);
        Assert.Equal(7, NewCount(subreddit));
    }

    [Fact]
    public async Task When_a_listing_is_not_a_listing_Should_fail_the_child_naming_what_is_missing()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Script(_ => new ScriptedAnswer(200, """{"kind": "Listing", "data": {"after": null}}"""));

        var outcome = (await reddit.RunAsync(new { subreddits = new[] { subreddit } })).Only;

        Assert.False(outcome.Succeeded);
        Assert.Contains("no data.children array", outcome.Error);
        Assert.Null(await reddit.Cursors.GetAsync(subreddit));
    }

    [Fact]
    public async Task When_the_job_has_client_credentials_Should_fetch_one_app_only_token_cache_it_until_expiry_and_renew_it_once_revoked()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var (first, second) = (RedditHarness.NewSubreddit(), RedditHarness.NewSubreddit());
        reddit.Api.Publish(first, 2);
        reddit.Api.Publish(second, 2);
        reddit.Api.Credentials = ("app-id", "app-secret-value");
        reddit.Api.TokenLifetimeSeconds = 3600;
        var settings = new { subreddits = new[] { first, second }, client_id = "app-id", client_secret = "app-secret-value", user_agent = "test:reddit-tests:1.0 (by /u/tester)" };

        var run = await reddit.RunAsync(settings);

        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        Assert.All(run.Children, c => Assert.True(c.Outcome.Succeeded, c.Outcome.Error));
        Assert.Equal(1, reddit.Api.TokensIssued);
        var token = Assert.Single(reddit.Api.Requests, r => r.Path == "/api/v1/access_token");
        Assert.Equal("grant_type=client_credentials", token.Form);
        Assert.All(reddit.Api.ListingRequests, r => Assert.StartsWith("bearer token-1-", r.Authorization));
        Assert.All(reddit.Api.Requests, r => Assert.Equal("test:reddit-tests:1.0 (by /u/tester)", r.UserAgent));
        var key = RedditApi.TokenKeyOf(reddit.Options, run.Children[0].Step);
        var ttl = await reddit.Redis.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(3000), TimeSpan.FromSeconds(3600) - reddit.Options.TokenExpiryMargin);
        Assert.DoesNotContain("app-secret-value", key);

        reddit.Api.RevokeTokens();
        reddit.Api.Publish(first, 1);
        var again = await reddit.RunAsync(settings);

        Assert.All(again.Children, c => Assert.True(c.Outcome.Succeeded, c.Outcome.Error));
        Assert.Equal(2, reddit.Api.TokensIssued);
        Assert.Equal(3, (await reddit.StoredAsync(first)).Count);
    }

    [Fact]
    public async Task When_the_client_credentials_are_refused_Should_fail_the_entry_with_the_token_url_and_status_but_not_the_secret()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        reddit.Api.Credentials = ("app-id", "the-right-secret");

        var run = await reddit.RunAsync(new { subreddits = new[] { RedditHarness.NewSubreddit() }, client_id = "app-id", client_secret = "a-wrong-secret" });

        Assert.False(run.Entry.Succeeded);
        Assert.Contains($"POST {reddit.Api.TokenUri}", run.Entry.Error);
        Assert.Contains("401", run.Entry.Error);
        Assert.DoesNotContain("a-wrong-secret", run.Entry.Error);
        Assert.Empty(run.Children);
    }

    [Fact]
    public async Task When_the_entry_runs_Should_spawn_one_child_per_distinct_subreddit_with_the_api_settings()
    {
        await using var reddit = await RedditHarness.StartAsync(host);

        var run = await reddit.RunAsync(new { subreddits = new[] { "AskReddit", "/r/Programming/", "askreddit", "pics+gifs" }, page_limit = 7, max_pages = 3 });

        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        Assert.Equal(["askreddit", "programming", "pics+gifs"], run.Children.Select(c => c.Step.Subreddit));
        Assert.All(run.Children, c => Assert.Equal(
            (reddit.Api.BaseUri.ToString().TrimEnd('/'), 7, 3, 1, (string?)null),
            (c.Step.ApiBaseUrl, c.Step.PageLimit, c.Step.MaxPages, c.Step.FirstRunPages, c.Step.ClientSecret)));
    }

    [Theory]
    [InlineData("""{"subreddits": []}""", "subreddits is empty")]
    [InlineData("""{"subreddits": ["ok_name", "not a name"]}""", "invalid subreddit names: 'not a name'")]
    [InlineData("""{"subreddits": ["askreddit"], "client_id": "only-the-id"}""", "client_id and client_secret go together")]
    [InlineData("""{"subreddits": ["askreddit"], "api_base_url": "ftp://example.org"}""", "api_base_url 'ftp://example.org' is not an absolute http(s) URL")]
    public async Task When_the_settings_cannot_be_used_Should_fail_the_entry_saying_why(string settings, string error)
    {
        await using var reddit = await RedditHarness.StartAsync(host);

        var run = await reddit.RunAsync(JsonNode.Parse(settings)!);

        Assert.False(run.Entry.Succeeded);
        Assert.Contains(error, run.Entry.Error);
    }

    [Fact]
    public async Task When_no_api_base_url_is_given_Should_send_the_children_to_www_reddit_com_or_with_credentials_to_oauth_reddit_com()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        reddit.Api.Credentials = ("app-id", "app-secret-value");

        var anonymous = await reddit.EntryAsync(new { subreddits = new[] { "askreddit" } }, pointAtTheFake: false);
        var authorized = await reddit.EntryAsync(new { subreddits = new[] { "askreddit" }, client_id = "app-id", client_secret = "app-secret-value" },
            pointAtTheFake: false);

        Assert.Equal(RedditSettings.PublicApi, Assert.Single(anonymous).ApiBaseUrl);
        var step = Assert.Single(authorized);
        Assert.Equal((RedditSettings.OAuthApi, "app-id", "app-secret-value"), (step.ApiBaseUrl, step.ClientId, step.ClientSecret));
        Assert.Equal(1, reddit.Api.TokensIssued);
        Assert.Empty(reddit.Api.ListingRequests);
    }
}
