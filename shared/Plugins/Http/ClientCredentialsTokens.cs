using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Jobs.Plugins.Http;

/// <summary>An OAuth 2.0 token could not be had; the message names the token URL and the reason (never the secret).</summary>
public sealed class OAuthTokenException(Uri uri, string reason) : Exception($"POST {UriDisplay.Shown(uri)} (OAuth client_credentials token) failed: {reason}")
{
    public Uri Uri { get; } = uri;
}

/// <summary>The client of an OAuth 2.0 <c>client_credentials</c> grant (RFC 6749 section 4.4).</summary>
/// <param name="SendInBody">The client authenticates with <c>client_id</c>/<c>client_secret</c> form fields instead of HTTP Basic.</param>
public sealed record ClientCredentials(Uri TokenUrl, string ClientId, string ClientSecret, string? Scope = null, bool SendInBody = false);

/// <summary>
/// App-only OAuth tokens over the polite HTTP client, cached in Redis (shared by every process and every child of a job) until
/// <paramref name="expiryMargin"/> before they expire. The cache key is a hash of the token URL, the client and its secret,
/// never the secret itself.
/// </summary>
public sealed class ClientCredentialsTokens(PoliteHttpClient http, IDatabase redis, string keyPrefix, TimeSpan expiryMargin)
{
    /// <summary>The Redis key of the token cached for <paramref name="client"/>.</summary>
    public static string KeyOf(string keyPrefix, ClientCredentials client)
    {
        var identity = SHA256.HashData(Encoding.UTF8.GetBytes($"{client.TokenUrl}\n{client.ClientId}\n{client.ClientSecret}\n{client.Scope}"));
        return $"{keyPrefix}token:{Convert.ToHexStringLower(identity)}";
    }

    /// <summary>
    /// The token (from Redis unless <paramref name="renew"/>: after a 401 the cached one is dropped and a new one asked for).
    /// <paramref name="configure"/> adds headers of the API (a User-Agent) to the token request.
    /// </summary>
    public async Task<string> GetAsync(ClientCredentials client, bool renew, Action<HttpRequestMessage>? configure,
        Func<HttpResponseMessage, TimeSpan?>? holdBack, CancellationToken cancellationToken)
    {
        var key = KeyOf(keyPrefix, client);
        if (!renew && await redis.StringGetAsync(key) is { HasValue: true } cached) return cached.ToString();

        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (client.Scope is { Length: > 0 } scope) form.Add(new("scope", scope));
        if (client.SendInBody)
        {
            form.Add(new("client_id", client.ClientId));
            form.Add(new("client_secret", client.ClientSecret));
        }

        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(client.ClientId)}:{Uri.EscapeDataString(client.ClientSecret)}"));
        using var response = await http.SendAsync(HttpMethod.Post, client.TokenUrl, request =>
        {
            configure?.Invoke(request);
            if (!client.SendInBody) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            request.Content = new FormUrlEncodedContent(form);
        }, holdBack, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new OAuthTokenException(client.TokenUrl, $"{(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(body)}");

        string? token;
        double expiresIn;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            token = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            expiresIn = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : 0;
        }
        catch (JsonException e)
        {
            throw new OAuthTokenException(client.TokenUrl, $"malformed JSON: {e.Message}");
        }

        if (string.IsNullOrEmpty(token)) throw new OAuthTokenException(client.TokenUrl, $"no access_token in the answer: {Shorten(body)}");
        var lifetime = TimeSpan.FromSeconds(expiresIn) - expiryMargin;
        if (lifetime > TimeSpan.Zero) await redis.StringSetAsync(key, token, lifetime);
        else await redis.KeyDeleteAsync(key);
        return token;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
