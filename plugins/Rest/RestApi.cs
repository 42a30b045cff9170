using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Jobs.Plugins.Http;
using StackExchange.Redis;

namespace Jobs.Plugins.Rest;

/// <summary>A page of a <c>rest</c> source that could not be had or read; the message names the URL (secret query values masked) and the reason.</summary>
public sealed class RestPageException(string method, string shownUri, string reason, Exception? inner = null)
    : Exception($"{method} {shownUri} failed: {reason}", inner);

/// <summary>Where a page request is: the page number, offset and cursor of page-number, offset and cursor pagination, or the next link.</summary>
internal sealed record RestPageState(int Page, long Offset, string? Cursor, Uri? NextLink);

/// <summary>One page's answer: its JSON and its <c>Link</c> header's <c>rel="next"</c> target.</summary>
internal sealed record RestAnswer(Uri Uri, string ShownUri, JsonDocument Json, Uri? LinkNext) : IDisposable
{
    public void Dispose() => Json.Dispose();
}

/// <summary>
/// The requests of one <c>rest</c> child over the polite HTTP client (per-host rate limit shared by every process, retries
/// honouring <c>Retry-After</c>, timeouts, size limit): the templates rendered for a page, the auth (basic, bearer, or an OAuth
/// client_credentials token cached in Redis and renewed once on a 401), the answer read as JSON.
/// </summary>
internal sealed partial class RestApi(PoliteHttpClient http, IDatabase redis, RestOptions options, RestStep step)
{
    private readonly RestCredential? _credential = step.Auth.Credential is { } name
        ? options.Credentials.GetValueOrDefault(name) ?? throw new InvalidOperationException(
            $"auth.credential '{name}' is not configured in this Integrations process (Rest:Credentials)")
        : null;

    private ClientCredentials? OAuthClient => step.Auth.Type == RestDefinition.AuthOAuth2
        ? new ClientCredentials(new Uri(step.Auth.TokenUrl!), step.Auth.ClientId ?? _credential?.ClientId ?? "",
            step.Auth.ClientSecret ?? _credential?.ClientSecret ?? "", step.Auth.Scope, step.Auth.ClientAuth == "body")
        : null;

    /// <summary>The token of an oauth2 source (asked for now unless cached), so a job with bad credentials fails at its entry.</summary>
    public async Task<string?> TokenAsync(bool renew, CancellationToken cancellationToken) =>
        OAuthClient is { } client
            ? await new ClientCredentialsTokens(http, redis, options.RedisPrefix, options.TokenExpiryMargin).GetAsync(client, renew, null, null, cancellationToken)
            : null;

    /// <summary>The placeholders' values for <paramref name="state"/>.</summary>
    public Dictionary<string, string?> Values(RestPageState state) => new(StringComparer.Ordinal)
    {
        [RestTemplate.StartDate] = step.WindowStart?.ToString(step.DateFormat, CultureInfo.InvariantCulture),
        [RestTemplate.EndDate] = step.WindowEnd?.ToString(step.DateFormat, CultureInfo.InvariantCulture),
        [RestTemplate.Page] = state.Page.ToString(CultureInfo.InvariantCulture),
        [RestTemplate.Offset] = state.Offset.ToString(CultureInfo.InvariantCulture),
        [RestTemplate.Limit] = step.Pagination.PageSize?.ToString(CultureInfo.InvariantCulture),
        [RestTemplate.Cursor] = state.Cursor,
        [RestTemplate.Since] = step.Since,
    };

    /// <summary>The URL of the page at <paramref name="state"/>: the next link as given, else the URL template and the query rendered.</summary>
    public Uri UriOf(RestPageState state)
    {
        if (state.NextLink is { } next) return next;
        var values = Values(state);
        var url = new StringBuilder(RestTemplate.Render(step.Url, values, Uri.EscapeDataString));
        var separator = step.Url.Contains('?') ? '&' : '?';
        foreach (var (name, template) in step.Query)
        {
            var value = RestTemplate.Render(template, values);
            if (value.Length == 0 && RestTemplate.IsOnlyPlaceholder(template)) continue;
            url.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return new Uri(url.ToString());
    }

    /// <summary>Fetches and parses the page at <paramref name="state"/>; anything but a 2xx JSON answer throws <see cref="RestPageException"/>.</summary>
    public async Task<RestAnswer> FetchAsync(RestPageState state, CancellationToken cancellationToken)
    {
        var uri = UriOf(state);
        var shown = UriDisplay.Shown(uri);
        var values = Values(state);
        var json = step.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        var body = step.Body is null ? null : RestTemplate.Render(step.Body, values, json ? RestTemplate.JsonEscape : null);
        var token = await TokenAsync(renew: false, cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(uri, values, body, token, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized && token is not null)
            {
                // Revoked or expired early: one new token, one more try.
                response.Dispose();
                token = await TokenAsync(renew: true, cancellationToken);
                response = await SendAsync(uri, values, body, token, cancellationToken);
            }
        }
        catch (HttpFetchException e)
        {
            throw new RestPageException(step.Method, shown, e.Message.Replace(uri.ToString(), shown, StringComparison.Ordinal), e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new RestPageException(step.Method, shown, $"{(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(text)}");
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw new RestPageException(step.Method, shown, $"the answer is not JSON ({e.Message}): {Shorten(text)}");
            }

            return new RestAnswer(uri, shown, document, LinkNext(response, uri));
        }
    }

    private Task<HttpResponseMessage> SendAsync(Uri uri, IReadOnlyDictionary<string, string?> values, string? body, string? token,
        CancellationToken cancellationToken) =>
        http.SendAsync(step.Method == "POST" ? HttpMethod.Post : HttpMethod.Get, uri, request =>
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            foreach (var (name, template) in step.Headers) request.Headers.TryAddWithoutValidation(name, RestTemplate.Render(template, values));
            switch (step.Auth.Type)
            {
                case RestDefinition.AuthBasic:
                    var pair = $"{step.Auth.Username ?? _credential?.Username}:{step.Auth.Password ?? _credential?.Password}";
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                    break;
                case RestDefinition.AuthBearer:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", step.Auth.Token ?? _credential?.Token);
                    break;
                case RestDefinition.AuthOAuth2:
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    break;
            }

            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, step.ContentType);
        }, cancellationToken);

    /// <summary>The <c>rel="next"</c> target of a <c>Link</c> header (RFC 8288), resolved against the page's URL.</summary>
    private static Uri? LinkNext(HttpResponseMessage response, Uri page)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var match in links.SelectMany(l => LinkValue().Matches(l)))
        {
            var rel = match.Groups["params"].Value;
            if (RelNext().IsMatch(rel) && Uri.TryCreate(page, match.Groups["target"].Value, out var next)) return next;
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [GeneratedRegex(@"<(?<target>[^>]*)>(?<params>[^,<]*)", RegexOptions.CultureInvariant)]
    private static partial Regex LinkValue();

    [GeneratedRegex(@";\s*rel\s*=\s*""?([^""]*\s)?next(\s[^""]*)?""?\s*(;|$)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex RelNext();
}
