using System.Net;

namespace Jobs.Plugins.Http;

/// <summary>A request that did not get a usable answer; the message names the URL and the reason.</summary>
public sealed class HttpFetchException(Uri uri, HttpStatusCode? status, string reason, Exception? inner = null)
    : Exception($"GET {UriDisplay.Shown(uri)} failed: {reason}", inner)
{
    public Uri Uri { get; } = uri;

    /// <summary>The last status received, if any response came.</summary>
    public HttpStatusCode? StatusCode { get; } = status;
}

/// <summary>A URL the host's robots.txt does not allow this client's user agent to fetch.</summary>
public sealed class RobotsDisallowedException(Uri uri, string userAgent)
    : Exception($"GET {UriDisplay.Shown(uri)} refused: disallowed by {uri.GetLeftPart(UriPartial.Authority)}/robots.txt for '{RobotsRules.ProductToken(userAgent)}'")
{
    public Uri Uri { get; } = uri;
}
