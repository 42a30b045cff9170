using System.Diagnostics;
using System.Globalization;
using Jobs.ServiceDefaults;
using OpenTelemetry;

namespace Jobs.Plugins.Http;

/// <summary>
/// The span of one attempt of <see cref="PoliteHttpClient"/> (ActivitySource <see cref="JobTracing.SourceName"/>): the standard HTTP
/// client attributes (method, host, port, URL without its query, status, <c>http.request.resend_count</c>: the retry number), the
/// integration and the rate limit's wait before the request went out. HttpClient's own span is suppressed under it, so an
/// attempt is one span.
/// </summary>
public static class HttpAttemptSpan
{
    public const string RateLimitWaitMs = "jobs.http.rate_limit_wait_ms";

    public static Activity? Start(HttpMethod method, Uri uri, string integration, int attempt)
    {
        var span = JobTracing.Source.StartActivity("HTTP " + method.Method, ActivityKind.Client);
        if (span is not { IsAllDataRequested: true }) return span;
        span.SetTag("http.request.method", method.Method)
            .SetTag("server.address", uri.Host)
            .SetTag("server.port", uri.Port)
            .SetTag("url.full", uri.GetLeftPart(UriPartial.Path))
            .SetTag("http.request.resend_count", attempt - 1)
            .SetTag("jobs.integration", integration);
        return span;
    }

    /// <summary>Keeps HttpClient's own instrumentation from adding a second span for the attempt.</summary>
    public static IDisposable? SuppressInner(Activity? span) => span is null ? null : SuppressInstrumentationScope.Begin();

    public static void Status(Activity? span, int status)
    {
        if (span is null) return;
        span.SetTag("http.response.status_code", status);
        if (status >= 400) span.SetTag("error.type", status.ToString(CultureInfo.InvariantCulture)).SetStatus(ActivityStatusCode.Error);
    }

    public static void Failed(Activity? span, string kind, string message) =>
        span?.SetTag("error.type", kind).SetStatus(ActivityStatusCode.Error, message);
}
