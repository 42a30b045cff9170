using Jobs.TestSupport;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Plugins.Reddit;

namespace Jobs.Integrations.Tests.Reddit;

public sealed class RedditIntegrationTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private RedditHarness _reddit = null!;

    /// <summary>A subreddit of this test's own, so its rows and metrics are its own.</summary>
    private readonly string _subreddit = RedditHarness.NewSubreddit();

    public async Task InitializeAsync() => _reddit = await RedditHarness.StartAsync(host);

    public async Task DisposeAsync() => await _reddit.DisposeAsync();

    private static readonly TimeSpan ResetLowerBound = TimeSpan.FromSeconds(0.9);

    private static double NewCount(string subreddit) => RedditMetrics.NewSubmissions.WithLabels(subreddit).Value;

    /// <summary>
    /// Asserts that the <paramref name="stored"/> newest submissions of the fake subreddit (all when null) are exactly what
    /// is stored, that the cursor is at the newest, and that <paramref name="counted"/> were counted new.
    /// </summary>
    private async Task AssertStoredNewestAsync(int? stored, int counted)
    {
        var all = _reddit.Api.Fullnames(_subreddit);
        Assert.Equal(all.Take(stored ?? all.Count), await _reddit.StoredAsync(_subreddit));
        Assert.Equal(all[0], (await _reddit.Cursors.GetAsync(_subreddit))?.Fullname);
        Assert.Equal(counted, NewCount(_subreddit));
    }

    [Fact]
    public async Task When_a_subreddit_runs_for_the_first_time_Should_store_only_the_latest_page_and_set_the_cursor_to_its_newest()
    {
        _reddit.Api.Publish(_subreddit, 12);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 5);

        await AssertStoredNewestAsync(stored: 5, counted: 5);
        var request = Assert.Single(_reddit.Api.ListingRequests);
        Assert.Equal(($"/r/{_subreddit}/new.json", null, null, 5), (request.Path, request.Before, request.After, request.Limit));
    }

    [Fact]
    public async Task When_the_first_run_may_take_two_pages_Should_page_back_with_after_and_stop_there()
    {
        _reddit.Api.Publish(_subreddit, 12);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 5, firstRunPages: 2);

        await AssertStoredNewestAsync(stored: 10, counted: 10);
        Assert.Equal([(null, null), (null, _reddit.Api.Fullnames(_subreddit)[4])], _reddit.Api.ListingRequests.Select(r => (r.Before, r.After)));
    }

    [RealRedditDataFact]
    public async Task When_the_recorded_r_all_pages_are_served_Should_store_page_one_then_only_the_four_newer_fetched_with_before()
    {
        var page1 = RealRedditData.Read(RealRedditData.AllPage1);
        var page2 = RealRedditData.Read(RealRedditData.AllPage2Before5jo13y);
        _reddit.Api.Recorded = request => request.Before switch
        {
            null => page1,
            "t3_5jo13y" => page2,
            _ => FakeRedditApi.EmptyListing(),
        };
        var firstNames = RedditHarness.ChildrenOf(page1).Select(c => (string)c!["data"]!["name"]!).ToList();
        var newerNames = RedditHarness.ChildrenOf(page2).Select(c => (string)c!["data"]!["name"]!).ToList();

        await _reddit.RunSubredditAsync(_subreddit);

        Assert.Equal(100, (await _reddit.StoredAsync(_subreddit)).Count);
        Assert.Equal(firstNames.ToHashSet(), (await _reddit.StoredAsync(_subreddit)).ToHashSet());
        Assert.Equal("t3_5jo13y", (await _reddit.Cursors.GetAsync(_subreddit))?.Fullname);
        Assert.Equal(100, NewCount(_subreddit));

        await _reddit.RunSubredditAsync(_subreddit);

        var stored = await _reddit.StoredAsync(_subreddit);
        Assert.Equal(104, stored.Count);
        Assert.Equal(firstNames.Concat(newerNames).ToHashSet(), stored.ToHashSet());
        Assert.Equal(["t3_5jo144", "t3_5jo143", "t3_5jo141", "t3_5jo140"], newerNames);
        Assert.Equal("t3_5jo144", (await _reddit.Cursors.GetAsync(_subreddit))?.Fullname);
        Assert.Equal([null, "t3_5jo13y"], _reddit.Api.ListingRequests.Select(r => r.Before));
        Assert.Equal(104, NewCount(_subreddit));
    }

    /// <summary>Serves a recorded listing for every listing request and runs the test's subreddit once; returns the listing.</summary>
    private async Task<string> RunOnRecordedAsync(string file)
    {
        var body = RealRedditData.Read(file);
        _reddit.Api.Recorded = _ => body;
        await _reddit.RunSubredditAsync(_subreddit);
        return body;
    }

    [RealRedditDataFact]
    public async Task When_a_recorded_askreddit_listing_is_stored_Should_keep_each_field_as_reddit_sent_it()
    {
        var body = await RunOnRecordedAsync(RealRedditData.AskReddit);

        Assert.Equal(100, (await _reddit.StoredAsync(_subreddit)).Count);
        Assert.Equal("t3_48fbm9", (await _reddit.Cursors.GetAsync(_subreddit))?.Fullname);
        var self = RedditHarness.ChildrenOf(body).Select(c => c!["data"]!.AsObject()).First(p => ((string?)p["selftext"])?.Length > 0);
        await using var command = _reddit.Postgres.CreateCommand("""
            SELECT subreddit, title, author, created_utc, score, num_comments, selftext_length, url, permalink, listing
            FROM reddit_submissions WHERE fullname = @fullname
            """);
        command.Parameters.AddWithValue("fullname", (string)self["name"]!);
        await using var row = await command.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal(
            ("AskReddit", (string)self["title"]!, (string)self["author"]!, DateTimeOffset.FromUnixTimeSeconds((long)(double)self["created_utc"]!),
                (int)self["score"]!, (int)self["num_comments"]!, ((string)self["selftext"]!).Length, (string)self["url"]!, (string)self["permalink"]!, _subreddit),
            (row.GetString(0), row.GetString(1), row.GetString(2), new DateTimeOffset(row.GetDateTime(3), TimeSpan.Zero), row.GetInt32(4), row.GetInt32(5),
                row.GetInt32(6), row.GetString(7), row.GetString(8), row.GetString(9)));
    }

    [RealRedditDataFact]
    public async Task When_a_recorded_listing_is_not_newest_first_Should_set_the_cursor_to_the_newest_by_created_utc()
    {
        await RunOnRecordedAsync(RealRedditData.GoReddit2020);

        // The 2020 r/test listing names t3_agi5zf (2019) before t3_hyhquk (2020).
        Assert.Equal(["t3_hyhquk", "t3_agi5zf"], await _reddit.StoredAsync(_subreddit));
        Assert.Equal("t3_hyhquk", (await _reddit.Cursors.GetAsync(_subreddit))?.Fullname);
    }

    [Fact]
    public async Task When_later_runs_find_newer_submissions_Should_page_with_before_store_only_those_and_nothing_when_none_are_new()
    {
        _reddit.Api.Publish(_subreddit, 4);
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);
        var cursor = (await _reddit.Cursors.GetAsync(_subreddit))!.Fullname;
        _reddit.Api.Publish(_subreddit, 7);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);

        var all = _reddit.Api.Fullnames(_subreddit);
        await AssertStoredNewestAsync(stored: 10, counted: 10); // the oldest was never on a first page
        Assert.Equal([cursor, all[4], all[1]], _reddit.Api.ListingRequests.Skip(1).Select(r => r.Before));

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);

        await AssertStoredNewestAsync(stored: 10, counted: 10);
        var quiet = _reddit.Api.ListingRequests.Skip(4).ToList();
        Assert.Equal([(all[0], 3), (null, 1)], quiet.Select(r => (r.Before, r.Limit)));
    }

    [Fact]
    public async Task When_the_cursor_post_was_deleted_Should_fall_back_to_the_created_utc_of_the_newest_stored_submission()
    {
        _reddit.Api.Publish(_subreddit, 3);
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);
        var deleted = (await _reddit.Cursors.GetAsync(_subreddit))!.Fullname;
        _reddit.Api.Delete(_subreddit, deleted);
        var newer = _reddit.Api.Publish(_subreddit, 4).Select(p => (string)p["name"]!).Reverse().ToList();

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);

        var stored = await _reddit.StoredAsync(_subreddit);
        Assert.Equal(7, stored.Count);
        Assert.Equal(newer, stored.Take(4));
        Assert.Contains(deleted, stored);
        Assert.Equal(newer[0], (await _reddit.Cursors.GetAsync(_subreddit))?.Fullname);
        // An empty page for the cursor, the latest one to see newer ones exist, then back from the latest until older than stored.
        Assert.Equal([(deleted, null, 3), (null, null, 1), (null, null, 3), (null, newer[2], 3)],
            _reddit.Api.ListingRequests.Skip(1).Select(r => (r.Before, r.After, r.Limit)));
        Assert.Equal(7, NewCount(_subreddit));
    }

    [Fact]
    public async Task When_the_cursor_is_lost_from_redis_Should_continue_from_the_newest_stored_submission_without_counting_it_again()
    {
        _reddit.Api.Publish(_subreddit, 3);
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);
        await _reddit.Redis.KeyDeleteAsync(_reddit.Cursors.KeyOf(_subreddit));
        _reddit.Api.Publish(_subreddit, 2);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);

        await AssertStoredNewestAsync(stored: null, counted: 5);
    }

    [Fact]
    public async Task When_the_api_says_no_requests_remain_Should_hold_the_next_request_until_the_reset()
    {
        _reddit.Api.Publish(_subreddit, 4);
        _reddit.Api.Script(_ => new ScriptedAnswer(200, null, new Dictionary<string, string>
        {
            [RedditApi.RemainingHeader] = "0.0", [RedditApi.ResetHeader] = "1", ["X-Ratelimit-Used"] = "600",
        }));

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2, firstRunPages: 2);

        await AssertAllStoredWithTwoRequestsAFullResetApartAsync();
    }

    [Fact]
    public async Task When_the_api_answers_429_Should_retry_after_its_reset_and_store_the_page()
    {
        _reddit.Api.Publish(_subreddit, 3);
        _reddit.Api.Script(_ => new ScriptedAnswer(429, """{"message": "Too Many Requests", "error": 429}""", new Dictionary<string, string>
        {
            [RedditApi.RemainingHeader] = "0", [RedditApi.ResetHeader] = "1",
        }));

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3);

        // Without the reset the retry would follow the 10 ms backoff of the test's HTTP policy.
        await AssertAllStoredWithTwoRequestsAFullResetApartAsync();
    }

    /// <summary>A lower bound only: the second request cannot come sooner than the 1 s reset, however slow the machine.</summary>
    private async Task AssertAllStoredWithTwoRequestsAFullResetApartAsync()
    {
        await AssertStoredNewestAsync(stored: null, counted: _reddit.Api.Fullnames(_subreddit).Count);
        var requests = _reddit.Api.ListingRequests;
        Assert.Equal(2, requests.Count);
        var gap = requests[1].At - requests[0].At;
        Assert.True(gap >= ResetLowerBound, $"the second request came {gap.TotalMilliseconds:F0} ms after the first; the reset was 1 s");
    }

    [Fact]
    public async Task When_a_page_is_malformed_json_Should_fail_the_child_with_the_url_and_reason_keep_the_cursor_and_lose_nothing_on_the_next_run()
    {
        _reddit.Api.Publish(_subreddit, 2);
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2);
        var cursor = await _reddit.Cursors.GetAsync(_subreddit);
        _reddit.Api.Publish(_subreddit, 5);
        var firstPage = true;
        _reddit.Api.Script(request =>
        {
            if (firstPage) { firstPage = false; return null; }
            return new ScriptedAnswer(200, """{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_""");
        });

        var failed = await _reddit.RunAsync(new { subreddits = new[] { _subreddit }, page_limit = 2 });

        var outcome = failed.Only;
        Assert.False(outcome.Succeeded);
        var broken = _reddit.Api.ListingRequests[^1];
        Assert.Contains($"{_reddit.Api.BaseUri}r/{_subreddit}/new.json?limit=2&raw_json=1&before={broken.Before}", outcome.Error);
        Assert.Contains("malformed JSON", outcome.Error);
        Assert.Equal(cursor, await _reddit.Cursors.GetAsync(_subreddit));

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2);

        await AssertStoredNewestAsync(stored: null, counted: 7);
    }

    [Fact]
    public async Task When_a_listing_is_not_a_listing_Should_fail_the_child_naming_what_is_missing()
    {
        _reddit.Api.Script(_ => new ScriptedAnswer(200, """{"kind": "Listing", "data": {"after": null}}"""));

        var outcome = (await _reddit.RunAsync(new { subreddits = new[] { _subreddit } })).Only;

        Assert.False(outcome.Succeeded);
        Assert.Contains("no data.children array", outcome.Error);
        Assert.Null(await _reddit.Cursors.GetAsync(_subreddit));
    }

    [Fact]
    public async Task When_the_subreddit_does_not_exist_and_reddit_redirects_to_its_search_Should_fail_the_child_saying_so()
    {
        _reddit.Api.Script(_ => new ScriptedAnswer(302, "", new Dictionary<string, string> { ["Location"] = $"/subreddits/search.json?q={_subreddit}" }));

        var outcome = (await _reddit.RunAsync(new { subreddits = new[] { _subreddit } })).Only;

        Assert.False(outcome.Succeeded);
        Assert.Contains($"redirected to {_reddit.Api.BaseUri}subreddits/search.json?q={_subreddit}: no such subreddit", outcome.Error);
        Assert.Null(await _reddit.Cursors.GetAsync(_subreddit));
    }

    [Fact]
    public async Task When_the_job_has_client_credentials_Should_fetch_one_app_only_token_cache_it_until_expiry_and_renew_it_once_revoked()
    {
        var (first, second) = (RedditHarness.NewSubreddit(), RedditHarness.NewSubreddit());
        _reddit.Api.Publish(first, 2);
        _reddit.Api.Publish(second, 2);
        _reddit.Api.Credentials = ("app-id", "app-secret-value");
        _reddit.Api.TokenLifetimeSeconds = 3600;
        var settings = new { subreddits = new[] { first, second }, client_id = "app-id", client_secret = "app-secret-value", user_agent = "test:reddit-tests:1.0 (by /u/tester)" };

        var run = await _reddit.RunAsync(settings);

        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        Assert.All(run.Children, c => Assert.True(c.Outcome.Succeeded, c.Outcome.Error));
        Assert.Equal(1, _reddit.Api.TokensIssued);
        var token = Assert.Single(_reddit.Api.Requests, r => r.Path == "/api/v1/access_token");
        Assert.Equal("grant_type=client_credentials", token.Form);
        Assert.All(_reddit.Api.ListingRequests, r => Assert.StartsWith("bearer token-1-", r.Authorization));
        Assert.All(_reddit.Api.Requests, r => Assert.Equal("test:reddit-tests:1.0 (by /u/tester)", r.UserAgent));
        var key = RedditApi.TokenKeyOf(_reddit.Options, run.Children[0].Step);
        var ttl = await _reddit.Redis.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(3000), TimeSpan.FromSeconds(3600) - _reddit.Options.TokenExpiryMargin);
        Assert.DoesNotContain("app-secret-value", key);

        _reddit.Api.RevokeTokens();
        _reddit.Api.Publish(first, 1);
        var again = await _reddit.RunAsync(settings);

        Assert.All(again.Children, c => Assert.True(c.Outcome.Succeeded, c.Outcome.Error));
        Assert.Equal(2, _reddit.Api.TokensIssued);
        Assert.Equal(3, (await _reddit.StoredAsync(first)).Count);
    }

    [Fact]
    public async Task When_the_client_credentials_are_refused_Should_fail_the_entry_with_the_token_url_and_status_but_not_the_secret()
    {
        _reddit.Api.Credentials = ("app-id", "the-right-secret");

        var run = await _reddit.RunAsync(new { subreddits = new[] { RedditHarness.NewSubreddit() }, client_id = "app-id", client_secret = "a-wrong-secret" });

        Assert.False(run.Entry.Succeeded);
        Assert.Contains($"POST {_reddit.Api.TokenUri}", run.Entry.Error);
        Assert.Contains("401", run.Entry.Error);
        Assert.DoesNotContain("a-wrong-secret", run.Entry.Error);
        Assert.Empty(run.Children);
    }

    [Fact]
    public async Task When_the_entry_runs_Should_spawn_one_child_per_distinct_subreddit_with_the_api_settings()
    {
        var run = await _reddit.RunAsync(new { subreddits = new[] { "AskReddit", "/r/Programming/", "askreddit", "pics+gifs" }, page_limit = 7, max_pages = 3 });

        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        Assert.Equal(["askreddit", "programming", "pics+gifs"], run.Children.Select(c => c.Step.Subreddit));
        Assert.All(run.Children, c => Assert.Equal(
            (_reddit.Api.BaseUri.ToString().TrimEnd('/'), 7, 3, 1, (string?)null),
            (c.Step.ApiBaseUrl, c.Step.PageLimit, c.Step.MaxPages, c.Step.FirstRunPages, c.Step.ClientSecret)));
    }

    [Theory]
    [InlineData("""{"subreddits": []}""", "subreddits is empty")]
    [InlineData("""{"subreddits": ["ok_name", "not a name"]}""", "invalid subreddit names: 'not a name'")]
    [InlineData("""{"subreddits": ["askreddit"], "client_id": "only-the-id"}""", "client_id and client_secret go together")]
    [InlineData("""{"subreddits": ["askreddit"], "api_base_url": "ftp://example.org"}""", "api_base_url 'ftp://example.org' is not an absolute http(s) URL")]
    public async Task When_the_settings_cannot_be_used_Should_fail_the_entry_saying_why(string settings, string error)
    {
        var run = await _reddit.RunAsync(JsonNode.Parse(settings)!);

        Assert.False(run.Entry.Succeeded);
        Assert.Contains(error, run.Entry.Error);
    }

    [Fact]
    public async Task When_no_api_base_url_is_given_Should_send_the_children_to_www_reddit_com_or_with_credentials_to_oauth_reddit_com()
    {
        _reddit.Api.Credentials = ("app-id", "app-secret-value");

        var anonymous = await _reddit.EntryAsync(new { subreddits = new[] { "askreddit" } }, pointAtTheFake: false);
        var authorized = await _reddit.EntryAsync(new { subreddits = new[] { "askreddit" }, client_id = "app-id", client_secret = "app-secret-value" },
            pointAtTheFake: false);

        Assert.Equal(RedditSettings.PublicApi, Assert.Single(anonymous).ApiBaseUrl);
        var step = Assert.Single(authorized);
        Assert.Equal((RedditSettings.OAuthApi, "app-id", "app-secret-value"), (step.ApiBaseUrl, step.ClientId, step.ClientSecret));
        Assert.Equal(1, _reddit.Api.TokensIssued);
        Assert.Empty(_reddit.Api.ListingRequests);
    }
}
