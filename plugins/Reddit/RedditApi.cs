using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Jobs.Plugins.Http;
using StackExchange.Redis;

namespace Jobs.Plugins.Reddit;

/// <summary>
/// Reddit's listing API over the shared <see cref="PoliteHttpClient"/>: the job's User-Agent, an app-only OAuth token
/// (client_credentials, cached in Redis until shortly before it expires, renewed once on a 401) when the job has client
/// credentials, and Reddit's rate-limit headers: when <c>X-Ratelimit-Remaining</c> runs out, or on a 429, every
/// process holds back the API host for <c>X-Ratelimit-Reset</c> seconds.
/// </summary>
public sealed class RedditApi(PoliteHttpClient http, IDatabase redis, RedditOptions options, RedditStep step)
{
    public const string RemainingHeader = "X-Ratelimit-Remaining";
    public const string ResetHeader = "X-Ratelimit-Reset";

    /// <summary>The Redis key of a job's cached token: a hash of the token URL and the credentials, never the secret itself.</summary>
    public static string TokenKeyOf(RedditOptions options, RedditStep step) => ClientCredentialsTokens.KeyOf(options.RedisPrefix, Client(step));

    private static ClientCredentials Client(RedditStep step) => new(new Uri(step.TokenUrl), step.ClientId ?? "", step.ClientSecret ?? "");

    /// <summary>One page of <c>r/&lt;subreddit&gt;/new</c>: newer than <paramref name="before"/>, older than <paramref name="after"/>, or the latest.</summary>
    public Uri NewUri(string? before, string? after, int limit)
    {
        var query = new StringBuilder($"limit={limit.ToString(CultureInfo.InvariantCulture)}&raw_json=1");
        if (before is not null) query.Append("&before=").Append(Uri.EscapeDataString(before));
        if (after is not null) query.Append("&after=").Append(Uri.EscapeDataString(after));
        return new Uri($"{step.ApiBaseUrl.TrimEnd('/')}/r/{step.Subreddit}/new.json?{query}");
    }

    /// <summary>Fetches and reads one listing page; its time goes into <see cref="RedditMetrics.FetchSeconds"/>.</summary>
    public async Task<RedditListingPage> NewAsync(string? before, string? after, int limit, CancellationToken cancellationToken)
    {
        var uri = NewUri(before, after, limit);
        var watch = Stopwatch.StartNew();
        var token = await TokenAsync(renew: false, cancellationToken);
        var response = await GetAsync(uri, token, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && token is not null)
        {
            // Revoked or expired early: one new token, one more try.
            response.Dispose();
            token = await TokenAsync(renew: true, cancellationToken);
            response = await GetAsync(uri, token, cancellationToken);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new HttpFetchException(uri, response.StatusCode, $"{(int)response.StatusCode} {response.ReasonPhrase}");
            // Reddit answers a subreddit that does not exist with a redirect to its search, whose listing is no submissions.
            if (response.RequestMessage?.RequestUri is { } answered && answered.AbsolutePath != uri.AbsolutePath)
                throw new RedditListingException(uri, $"redirected to {answered}: no such subreddit, or it is not reachable");
            var page = RedditListing.Parse(uri, await response.Content.ReadAsStringAsync(cancellationToken));
            RedditMetrics.FetchSeconds.WithLabels(step.Subreddit).Observe(watch.Elapsed.TotalSeconds);
            return page;
        }
    }

    /// <summary>The app-only token (from Redis unless <paramref name="renew"/>), or null when the job has no client credentials.</summary>
    public async Task<string?> TokenAsync(bool renew, CancellationToken cancellationToken) =>
        step.HasCredentials
            ? await new ClientCredentialsTokens(http, redis, options.RedisPrefix, options.TokenExpiryMargin).GetAsync(Client(step), renew,
                request => request.Headers.TryAddWithoutValidation("User-Agent", step.UserAgent), HoldBack, cancellationToken)
            : null;

    /// <summary>
    /// How long to hold back the API host after <paramref name="response"/>: <c>X-Ratelimit-Reset</c> seconds once
    /// <c>X-Ratelimit-Remaining</c> is below one request or the answer is a 429; otherwise null.
    /// </summary>
    public static TimeSpan? HoldBack(HttpResponseMessage response)
    {
        var reset = Number(response, ResetHeader);
        if (reset is not { } seconds) return null;
        var exhausted = response.StatusCode == HttpStatusCode.TooManyRequests || Number(response, RemainingHeader) is < 1;
        return exhausted ? TimeSpan.FromSeconds(Math.Max(0, seconds)) : null;
    }

    private Task<HttpResponseMessage> GetAsync(Uri uri, string? token, CancellationToken cancellationToken) =>
        http.SendAsync(HttpMethod.Get, uri, request =>
        {
            request.Headers.TryAddWithoutValidation("User-Agent", step.UserAgent);
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("bearer", token);
        }, HoldBack, cancellationToken);

    private static double? Number(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out var values)
        && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
