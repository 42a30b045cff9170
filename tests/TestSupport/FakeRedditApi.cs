using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Jobs.TestSupport;

/// <summary>A request the fake API received, with when it arrived.</summary>
public sealed record ReceivedRequest(DateTimeOffset At, string Method, string Path, string? Before, string? After, int? Limit,
    string? Authorization, string? UserAgent, string? Form);

/// <summary>What the fake API answers instead (a status, headers such as the rate-limit ones, and a body; null: the listing).</summary>
public sealed record ScriptedAnswer(int Status, string? Body, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// Reddit's API on a local Kestrel port: <c>/r/&lt;subreddit&gt;/new.json</c> answers listings in the real JSON shape from
/// a simulated subreddit (newest first, with Reddit's <c>before</c>/<c>after</c>/<c>limit</c> paging) or from recorded
/// bodies, <c>/api/v1/access_token</c> hands out app-only tokens, and a test may script the next answers.
/// </summary>
public sealed class FakeRedditApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, List<JsonObject>> _posts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentQueue<Func<ReceivedRequest, ScriptedAnswer?>> _scripts = new();
    private readonly ConcurrentDictionary<string, bool> _validTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double> _lastCreated = new(StringComparer.OrdinalIgnoreCase);
    private int _tokensIssued;

    // Fullnames are unique across every fake of the process (tests share a database, where the fullname is the key).
    private static long _nextId = Random.Shared.NextInt64(1L << 40, 1L << 50);

    private FakeRedditApi(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public Uri TokenUri => new(BaseUri, "/api/v1/access_token");

    public IReadOnlyList<ReceivedRequest> Requests => _requests.ToList();

    public IReadOnlyList<ReceivedRequest> ListingRequests => _requests.Where(r => r.Path.EndsWith("/new.json", StringComparison.Ordinal)).ToList();

    /// <summary>Answers a listing request from here, when set, instead of the simulated subreddit (null: simulate).</summary>
    public Func<ReceivedRequest, string?>? Recorded { get; set; }

    /// <summary>App credentials the token endpoint accepts; listings then need one of its tokens.</summary>
    public (string Id, string Secret)? Credentials { get; set; }

    public int TokenLifetimeSeconds { get; set; } = 3600;

    public int TokensIssued => _tokensIssued;

    public static async Task<FakeRedditApi> StartAsync()
    {
        var app = LoopbackHttp.Create();
        var fake = new FakeRedditApi(app);
        app.MapPost("/api/v1/access_token", fake.TokenAsync);
        app.MapGet("/r/{subreddit}/new.json", fake.ListingAsync);
        app.MapGet("/subreddits/search.json", () => Results.Text(EmptyListing(), "application/json"));
        fake.BaseUri = await LoopbackHttp.StartAsync(app);
        return fake;
    }

    /// <summary>The next listing request that <paramref name="script"/> answers (non-null) gets that answer; a script answers once.</summary>
    public void Script(Func<ReceivedRequest, ScriptedAnswer?> script) => _scripts.Enqueue(script);

    /// <summary>Makes every token issued so far invalid (as if revoked).</summary>
    public void RevokeTokens() => _validTokens.Clear();

    /// <summary>Posts <paramref name="count"/> new submissions to <paramref name="subreddit"/>, one second apart, after the newest there.</summary>
    public IReadOnlyList<JsonObject> Publish(string subreddit, int count, int comments = 2)
    {
        var posts = _posts.GetOrAdd(subreddit, _ => []);
        lock (posts)
        {
            var created = _lastCreated.GetValueOrDefault(subreddit, 1_700_000_000.0 - 1) + 1;
            _lastCreated[subreddit] = created + count - 1;
            var added = new List<JsonObject>();
            for (var i = 0; i < count; i++)
            {
                var post = Post(subreddit, Interlocked.Increment(ref _nextId), created + i, comments);
                posts.Insert(0, post);
                added.Add(post);
            }

            return added;
        }
    }

    /// <summary>Removes a submission from the listing, as when its author deletes it.</summary>
    public void Delete(string subreddit, string fullname)
    {
        var posts = _posts.GetOrAdd(subreddit, _ => []);
        lock (posts) posts.RemoveAll(p => (string?)p["name"] == fullname);
    }

    /// <summary>The fullnames of <paramref name="subreddit"/>'s submissions, newest first.</summary>
    public IReadOnlyList<string> Fullnames(string subreddit)
    {
        var posts = _posts.GetOrAdd(subreddit, _ => []);
        lock (posts) return posts.Select(p => (string)p["name"]!).ToList();
    }

    /// <summary>An empty listing in Reddit's shape.</summary>
    public static string EmptyListing() => Listing([], null, null);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task TokenAsync(HttpContext http)
    {
        var form = await new StreamReader(http.Request.Body).ReadToEndAsync();
        Record(http, form);
        var expected = Credentials is { } c ? "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Id}:{c.Secret}")) : null;
        if (expected is null || http.Request.Headers.Authorization != expected || form != "grant_type=client_credentials")
        {
            http.Response.StatusCode = 401;
            await http.Response.WriteAsync("""{"message": "Unauthorized", "error": 401}""");
            return;
        }

        var token = $"token-{Interlocked.Increment(ref _tokensIssued)}-{Guid.NewGuid():N}";
        _validTokens[token] = true;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "bearer",
            ["expires_in"] = TokenLifetimeSeconds,
            ["scope"] = "*",
        }.ToJsonString());
    }

    private async Task ListingAsync(HttpContext http, string subreddit)
    {
        var request = Record(http, null);
        if (Credentials is not null)
        {
            var bearer = request.Authorization is { } a && a.StartsWith("bearer ", StringComparison.Ordinal) ? a["bearer ".Length..] : null;
            if (bearer is null || !_validTokens.ContainsKey(bearer))
            {
                http.Response.StatusCode = 401;
                await http.Response.WriteAsync("""{"message": "Unauthorized", "error": 401}""");
                return;
            }
        }

        foreach (var _ in _scripts.ToArray())
        {
            if (!_scripts.TryDequeue(out var script)) break;
            if (script(request) is { } answer)
            {
                http.Response.StatusCode = answer.Status;
                foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>()) http.Response.Headers[name] = value;
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(answer.Body ?? Recorded?.Invoke(request) ?? Simulate(subreddit, request));
                return;
            }

            _scripts.Enqueue(script);
        }

        http.Response.ContentType = "application/json; charset=UTF-8";
        await http.Response.WriteAsync(Recorded?.Invoke(request) ?? Simulate(subreddit, request));
    }

    private string Simulate(string subreddit, ReceivedRequest request)
    {
        var posts = _posts.GetOrAdd(subreddit, _ => []);
        lock (posts)
        {
            var limit = Math.Clamp(request.Limit ?? 25, 1, 100);
            int start, end; // posts[start..end), newest first
            if (request.Before is { } before)
            {
                // The submissions just newer than "before"; nothing when it is not in the listing (deleted or too old).
                var at = posts.FindIndex(p => (string?)p["name"] == before);
                if (at < 0) return EmptyListing();
                (start, end) = (Math.Max(0, at - limit), at);
            }
            else if (request.After is { } after)
            {
                var at = posts.FindIndex(p => (string?)p["name"] == after);
                if (at < 0) return EmptyListing();
                (start, end) = (at + 1, Math.Min(posts.Count, at + 1 + limit));
            }
            else
            {
                (start, end) = (0, Math.Min(posts.Count, limit));
            }

            var page = posts.Skip(start).Take(end - start).ToList();
            return Listing(page,
                end < posts.Count && page.Count > 0 ? (string?)page[^1]["name"] : null,
                start > 0 && page.Count > 0 ? (string?)page[0]["name"] : null);
        }
    }

    private static string Listing(IReadOnlyList<JsonObject> posts, string? after, string? before) => new JsonObject
    {
        ["kind"] = "Listing",
        ["data"] = new JsonObject
        {
            ["modhash"] = "",
            ["dist"] = posts.Count,
            ["children"] = new JsonArray(posts.Select(p => (JsonNode)new JsonObject { ["kind"] = "t3", ["data"] = p.DeepClone() }).ToArray()),
            ["after"] = after,
            ["before"] = before,
        },
    }.ToJsonString();

    /// <summary>A submission with the fields (and types) of a real <c>t3</c>.</summary>
    private static JsonObject Post(string subreddit, long number, double createdUtc, int comments)
    {
        var id = Base36(number);
        var self = number % 2 == 0;
        var title = $"Submission {number} to r/{subreddit}: " + new string('t', (int)(number % 40));
        var selftext = self ? string.Concat(Enumerable.Repeat("body ", (int)(number % 50) + 1)) : "";
        var permalink = $"/r/{subreddit}/comments/{id}/submission_{number}/";
        return new JsonObject
        {
            ["id"] = id,
            ["name"] = "t3_" + id,
            ["subreddit"] = subreddit,
            ["subreddit_id"] = "t5_2qh1i",
            ["title"] = title,
            ["author"] = $"user{number}",
            ["created"] = createdUtc + 28800,
            ["created_utc"] = createdUtc,
            ["score"] = (int)(number % 7),
            ["ups"] = (int)(number % 7),
            ["downs"] = 0,
            ["num_comments"] = comments,
            ["selftext"] = selftext,
            ["selftext_html"] = self ? $"<div class=\"md\"><p>{selftext}</p></div>" : null,
            ["is_self"] = self,
            ["domain"] = self ? $"self.{subreddit}" : "example.org",
            ["url"] = self ? "https://www.reddit.com" + permalink : $"https://example.org/{number}",
            ["permalink"] = permalink,
            ["over_18"] = false,
            ["stickied"] = false,
            ["thumbnail"] = self ? "self" : "default",
        };
    }

    private ReceivedRequest Record(HttpContext http, string? form)
    {
        var query = http.Request.Query;
        var request = new ReceivedRequest(DateTimeOffset.UtcNow, http.Request.Method, http.Request.Path.Value ?? "",
            query.TryGetValue("before", out var b) ? b.ToString() : null,
            query.TryGetValue("after", out var a) ? a.ToString() : null,
            query.TryGetValue("limit", out var l) && int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) ? limit : null,
            http.Request.Headers.Authorization.FirstOrDefault(), http.Request.Headers.UserAgent.FirstOrDefault(), form);
        _requests.Enqueue(request);
        return request;
    }

    private static string Base36(long value)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var text = new StringBuilder();
        do
        {
            text.Insert(0, digits[(int)(value % 36)]);
            value /= 36;
        } while (value > 0);
        return text.ToString();
    }
}
