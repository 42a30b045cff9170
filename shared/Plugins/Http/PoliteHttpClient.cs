using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using StackExchange.Redis;

namespace Jobs.Plugins.Http;

/// <summary>A page fetched by <see cref="PoliteHttpClient.GetPageAsync"/>: where it ended up (after redirects) and its text.</summary>
public sealed record HttpPage(Uri Uri, HttpStatusCode StatusCode, string Body);

/// <summary>
/// HTTP for integrations, polite to the hosts it visits: robots.txt obeyed (fetched once and cached in Redis), a
/// per-host rate limit shared by every Integrations process (<see cref="HostRateLimiter"/>), retries with backoff on
/// 429, 5xx, timeouts and network errors honouring <c>Retry-After</c>, a timeout per attempt, the configured
/// User-Agent, per-host metrics (<see cref="HttpMetrics"/>), a size limit on every body (read through a counting stream, so
/// a huge page fails while it arrives), and connections only where the integration's <see cref="OutboundPolicy"/> allows.
/// One instance per integration; thread-safe.
/// </summary>
public sealed class PoliteHttpClient
{
    private static readonly TimeSpan UnreachableRobotsCacheFor = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RobotsMemoryFor = TimeSpan.FromMinutes(10);

    private readonly HttpClient _http;
    private readonly IConnectionMultiplexer _redis;
    private readonly PoliteHttpOptions _options;
    private readonly HostRateLimiter _limiter;
    private readonly ConcurrentDictionary<string, Lazy<Task<(RobotsRules Rules, DateTimeOffset Until)>>> _robots = new();

    public PoliteHttpClient(IConnectionMultiplexer redis, PoliteHttpOptions options, string integration)
    {
        // Per integration: a connection opened under one integration's allowlist is never reused by another.
        _http = new HttpClient(options.OutboundFor(integration).CreateHandler(DecompressionMethods.All)) { Timeout = Timeout.InfiniteTimeSpan };
        _redis = redis;
        _options = options;
        _limiter = new HostRateLimiter(redis, options.KeyPrefix);
        Integration = integration;
    }

    /// <summary>The integration whose policy (and metric label) this client uses.</summary>
    public string Integration { get; }

    public ResolvedHttpPolicy PolicyFor(Uri uri) => _options.Resolve(Integration, uri.Host);

    /// <summary>
    /// GETs a page; anything but a 2xx (after retries) throws <see cref="HttpFetchException"/> naming the URL and the status, a
    /// destination the outbound policy refuses <see cref="OutboundRefusedException"/> naming the URL and the rule.
    /// </summary>
    public async Task<HttpPage> GetPageAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, uri, null, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpFetchException(uri, response.StatusCode, $"{(int)response.StatusCode} {response.ReasonPhrase}");
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new HttpPage(response.RequestMessage?.RequestUri ?? uri, response.StatusCode, body);
    }

    /// <summary>
    /// Sends a request politely (<paramref name="configure"/> adds headers or content to each attempt's message). Returns the last
    /// response with its content buffered, whatever its status (a 429/5xx after the last attempt, or with a
    /// <c>Retry-After</c> beyond the policy's maximum, comes back as it is). Throws <see cref="RobotsDisallowedException"/>
    /// for a disallowed URL, <see cref="OutboundRefusedException"/> for a destination the outbound policy refuses (not retried),
    /// and <see cref="HttpFetchException"/> when the body is over the size limit (not retried) or the last attempt timed out or
    /// failed on the network.
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, Action<HttpRequestMessage>? configure,
        CancellationToken cancellationToken) => SendAsync(method, uri, configure, null, cancellationToken);

    /// <inheritdoc cref="SendAsync(HttpMethod, Uri, Action{HttpRequestMessage}?, CancellationToken)"/>
    /// <param name="holdBack">
    /// Reads a host's own rate-limit signal from each response (such as Reddit's <c>X-Ratelimit-Remaining</c> and
    /// <c>X-Ratelimit-Reset</c>): how long every process must hold back requests to the host, or null. It pauses the
    /// host's shared rate limit (so it needs a policy with a rate) and is the retry delay of a 429/5xx without
    /// <c>Retry-After</c>.
    /// </param>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, Action<HttpRequestMessage>? configure,
        Func<HttpResponseMessage, TimeSpan?>? holdBack, CancellationToken cancellationToken)
    {
        if (!await IsAllowedAsync(uri, cancellationToken))
        {
            HttpMetrics.Errors.WithLabels(Integration, uri.Authority, "robots").Inc();
            throw new RobotsDisallowedException(uri, PolicyFor(uri).UserAgent);
        }

        return await SendWithRetriesAsync(method, uri, configure, holdBack, cancellationToken);
    }

    /// <summary>
    /// Whether robots.txt of the URL's host lets this client's user agent fetch it (always true when the policy ignores robots).
    /// Throws <see cref="OutboundRefusedException"/> when the host is one the outbound policy refuses.
    /// </summary>
    public async Task<bool> IsAllowedAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (!PolicyFor(uri).ObeyRobots) return true;
        var authority = uri.GetLeftPart(UriPartial.Authority);
        while (true)
        {
            var entry = _robots.GetOrAdd(authority, a => new Lazy<Task<(RobotsRules, DateTimeOffset)>>(() => LoadRobotsAsync(new Uri(a), uri)));
            (RobotsRules Rules, DateTimeOffset Until) robots;
            try
            {
                robots = await entry.Value.WaitAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                _robots.TryRemove(new KeyValuePair<string, Lazy<Task<(RobotsRules, DateTimeOffset)>>>(authority, entry));
                // The host itself is refused: say so for the URL asked for, not for its robots.txt.
                if (e is OutboundRefusedException refused && refused.Uri.AbsolutePath == "/robots.txt")
                    throw new OutboundRefusedException(uri, refused.Rule);
                throw;
            }

            if (robots.Until > DateTimeOffset.UtcNow) return robots.Rules.IsAllowed(uri);
            _robots.TryRemove(new KeyValuePair<string, Lazy<Task<(RobotsRules, DateTimeOffset)>>>(authority, entry));
        }
    }

    /// <summary>
    /// Holds back every process's requests to the URL's host for <paramref name="pause"/>: for integrations that read a
    /// host's own rate-limit headers (such as Reddit's remaining/reset) on top of the configured limit.
    /// </summary>
    public Task PauseHostAsync(Uri uri, TimeSpan pause)
    {
        var policy = PolicyFor(uri);
        return _limiter.PauseAsync(uri.Authority, pause, policy.RequestsPerSecond, policy.Burst);
    }

    /// <summary>The Redis key of the robots.txt cached for <paramref name="uri"/>'s host.</summary>
    public string RobotsKeyOf(Uri uri) => $"{_options.KeyPrefix}robots:{uri.GetLeftPart(UriPartial.Authority)}";

    private async Task<(RobotsRules, DateTimeOffset)> LoadRobotsAsync(Uri origin, Uri forUri)
    {
        var policy = PolicyFor(forUri);
        var key = RobotsKeyOf(origin);
        var db = _redis.GetDatabase();
        var memoryFor = _options.RobotsCacheFor < RobotsMemoryFor ? _options.RobotsCacheFor : RobotsMemoryFor;
        var cached = await db.StringGetAsync(key);
        if (cached.HasValue) return (RobotsRules.Parse(cached!, policy.UserAgent), DateTimeOffset.UtcNow + memoryFor);

        var robotsUri = new Uri(origin, "/robots.txt");
        string text;
        try
        {
            using var response = await SendWithRetriesAsync(HttpMethod.Get, robotsUri, null, null, CancellationToken.None);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode) text = await response.Content.ReadAsStringAsync();
            // RFC 9309: a robots.txt that is not there (4xx) allows everything; a server error disallows everything for now.
            else if (status is >= 400 and < 500 and not 429) text = "";
            else return (RobotsRules.DisallowAll, DateTimeOffset.UtcNow + UnreachableRobotsCacheFor);
        }
        catch (HttpFetchException)
        {
            return (RobotsRules.DisallowAll, DateTimeOffset.UtcNow + UnreachableRobotsCacheFor);
        }

        await db.StringSetAsync(key, text, _options.RobotsCacheFor);
        return (RobotsRules.Parse(text, policy.UserAgent), DateTimeOffset.UtcNow + memoryFor);
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(HttpMethod method, Uri uri, Action<HttpRequestMessage>? configure,
        Func<HttpResponseMessage, TimeSpan?>? holdBack, CancellationToken cancellationToken)
    {
        var policy = PolicyFor(uri);
        var host = uri.Authority;
        for (var attempt = 1; ; attempt++)
        {
            // One span per attempt (HttpClient's own is suppressed under it): host, status, retry number and the rate limit's wait.
            using var span = HttpAttemptSpan.Start(method, uri, Integration, attempt);
            var waited = await _limiter.AcquireAsync(host, policy.RequestsPerSecond, policy.Burst, cancellationToken);
            if (policy.RequestsPerSecond > 0) HttpMetrics.RateLimitWait.WithLabels(Integration, host).Observe(waited.TotalSeconds);
            span?.SetTag(HttpAttemptSpan.RateLimitWaitMs, Math.Round(waited.TotalMilliseconds, 3));

            using var request = new HttpRequestMessage(method, uri);
            configure?.Invoke(request);
            // Contains, not UserAgent.Count: a User-Agent set without validation (such as Reddit's "linux:app:1.0 (by /u/x)") parses to nothing.
            if (!request.Headers.Contains("User-Agent")) request.Headers.TryAddWithoutValidation("User-Agent", policy.UserAgent);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(policy.Timeout);
            var watch = Stopwatch.StartNew();
            HttpResponseMessage? response = null;
            string failure;
            try
            {
                using (HttpAttemptSpan.SuppressInner(span)) response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptTimeout.Token);
                HttpMetrics.TimeToFirstByte.WithLabels(Integration, host).Observe(watch.Elapsed.TotalSeconds);
                response.Content = await BoundedBody.BufferAsync(response.Content, policy.MaxResponseBytes, attemptTimeout.Token);
                HttpMetrics.Latency.WithLabels(Integration, host).Observe(watch.Elapsed.TotalSeconds);
                var status = (int)response.StatusCode;
                HttpAttemptSpan.Status(span, status);
                HttpMetrics.Pages.WithLabels(Integration, host, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
                var hold = holdBack?.Invoke(response);
                if (hold is { } holdFor && holdFor > TimeSpan.Zero)
                    await _limiter.PauseAsync(host, holdFor, policy.RequestsPerSecond, policy.Burst);
                if (status < 400) return response;
                HttpMetrics.Errors.WithLabels(Integration, host, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
                if (status != 429 && status < 500) return response;

                var retryAfter = RetryAfter(response) ?? hold;
                if (attempt >= policy.MaxAttempts || retryAfter > policy.MaxRetryAfter) return response;
                if (retryAfter is { } pause) await _limiter.PauseAsync(host, pause, policy.RequestsPerSecond, policy.Burst);
                response.Dispose();
                HttpMetrics.Retries.WithLabels(Integration, host).Inc();
                await Task.Delay(retryAfter ?? Backoff(policy, attempt), cancellationToken);
                continue;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"timed out after {policy.Timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s";
                HttpMetrics.Errors.WithLabels(Integration, host, "timeout").Inc();
                HttpAttemptSpan.Failed(span, "timeout", failure);
            }
            catch (HttpRequestException e) when (OutboundPolicy.RefusalFor(uri, e) is { } refused)
            {
                response?.Dispose();
                HttpMetrics.Errors.WithLabels(Integration, host, "outbound").Inc();
                HttpAttemptSpan.Failed(span, "outbound", refused.Message);
                throw refused;
            }
            catch (ResponseTooLargeException e)
            {
                response?.Dispose();
                HttpMetrics.Errors.WithLabels(Integration, host, "too-large").Inc();
                HttpAttemptSpan.Failed(span, "too-large", e.Message);
                throw new HttpFetchException(uri, response?.StatusCode, e.Message);
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
                HttpMetrics.Errors.WithLabels(Integration, host, "network").Inc();
                HttpAttemptSpan.Failed(span, "network", failure);
            }

            response?.Dispose();
            if (attempt >= policy.MaxAttempts) throw new HttpFetchException(uri, null, $"{failure} ({attempt} attempts)");
            HttpMetrics.Retries.WithLabels(Integration, host).Inc();
            await Task.Delay(Backoff(policy, attempt), cancellationToken);
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date) return date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : TimeSpan.Zero;
        return null;
    }

    // Exponential backoff with jitter: between half and all of base * 2^(attempt-1), capped.
    private static TimeSpan Backoff(ResolvedHttpPolicy policy, int attempt)
    {
        var ceiling = Math.Min(policy.MaxBackoff.TotalMilliseconds, policy.BackoffBase.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }
}
