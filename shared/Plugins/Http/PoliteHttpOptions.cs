namespace Jobs.Plugins.Http;

/// <summary>
/// How the polite HTTP client treats a host. Every property is optional so a policy can override only what it
/// names; <see cref="PoliteHttpOptions"/> holds the defaults and the overrides per integration and per host.
/// </summary>
public class HttpPolicy
{
    /// <summary>User-Agent header sent with every request (and the token robots.txt groups are matched by).</summary>
    public string? UserAgent { get; set; }

    /// <summary>Time one attempt may take, headers and body.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Attempts per request: a 429, a 5xx, a timeout or a network error is retried until this many.</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>First retry delay without <c>Retry-After</c>; doubles per attempt, with jitter.</summary>
    public TimeSpan? BackoffBase { get; set; }

    /// <summary>Largest retry delay without <c>Retry-After</c>.</summary>
    public TimeSpan? MaxBackoff { get; set; }

    /// <summary>A <c>Retry-After</c> longer than this is not waited for: the request fails at once.</summary>
    public TimeSpan? MaxRetryAfter { get; set; }

    /// <summary>Requests per second to one host, summed over every Integrations process (held in Redis); 0 = no limit.</summary>
    public double? RequestsPerSecond { get; set; }

    /// <summary>Requests that may go out at once after an idle spell (at least 1).</summary>
    public int? Burst { get; set; }

    /// <summary>Whether robots.txt is fetched and obeyed.</summary>
    public bool? ObeyRobots { get; set; }

    /// <summary>Largest response body read (after decompression), checked while it is read; a bigger one fails the request with its size.</summary>
    public long? MaxResponseBytes { get; set; }

    /// <summary>
    /// What requests may reach besides public addresses (<see cref="OutboundPolicy"/>): the defaults at the top level, and per
    /// integration, where the allowed hosts and networks add to the defaults. Not per host.
    /// </summary>
    public OutboundRules? Outbound { get; set; }
}

/// <summary>
/// Configuration section <c>Integrations:Http</c>: the defaults (top level), then <c>Integrations:&lt;name&gt;</c>,
/// then <c>Hosts:&lt;host name&gt;</c>; the most specific value wins.
/// </summary>
public sealed class PoliteHttpOptions : HttpPolicy
{
    public PoliteHttpOptions()
    {
        UserAgent = "JobsPlatformBot/1.0";
        Timeout = TimeSpan.FromSeconds(30);
        MaxAttempts = 4;
        BackoffBase = TimeSpan.FromMilliseconds(500);
        MaxBackoff = TimeSpan.FromSeconds(30);
        MaxRetryAfter = TimeSpan.FromMinutes(2);
        RequestsPerSecond = 1;
        Burst = 1;
        ObeyRobots = true;
        MaxResponseBytes = DefaultMaxResponseBytes;
        Outbound = new OutboundRules();
    }

    /// <summary>10 MiB: a page, a listing or a token, not a download (downloads stream to disk under their own cap).</summary>
    public const long DefaultMaxResponseBytes = 10 * 1024 * 1024;

    /// <summary>How long a fetched robots.txt is trusted (in Redis, shared by every process).</summary>
    public TimeSpan RobotsCacheFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Prefix of the Redis keys of the rate limits and the robots.txt cache.</summary>
    public string KeyPrefix { get; set; } = "http:";

    /// <summary>Overrides per integration name (<c>catalogue</c>, <c>reddit</c>).</summary>
    public Dictionary<string, HttpPolicy> Integrations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Overrides per host name (without port), such as a host's own rate limit.</summary>
    public Dictionary<string, HttpPolicy> Hosts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy for <paramref name="host"/> as seen by <paramref name="integration"/>: host, then integration, then defaults.</summary>
    public ResolvedHttpPolicy Resolve(string integration, string host)
    {
        var byHost = Hosts.GetValueOrDefault(host) ?? Empty;
        var byIntegration = Integrations.GetValueOrDefault(integration) ?? Empty;
        return new ResolvedHttpPolicy(
            byHost.UserAgent ?? byIntegration.UserAgent ?? UserAgent!,
            byHost.Timeout ?? byIntegration.Timeout ?? Timeout!.Value,
            Math.Max(1, byHost.MaxAttempts ?? byIntegration.MaxAttempts ?? MaxAttempts!.Value),
            byHost.BackoffBase ?? byIntegration.BackoffBase ?? BackoffBase!.Value,
            byHost.MaxBackoff ?? byIntegration.MaxBackoff ?? MaxBackoff!.Value,
            byHost.MaxRetryAfter ?? byIntegration.MaxRetryAfter ?? MaxRetryAfter!.Value,
            Math.Max(0, byHost.RequestsPerSecond ?? byIntegration.RequestsPerSecond ?? RequestsPerSecond!.Value),
            Math.Max(1, byHost.Burst ?? byIntegration.Burst ?? Burst!.Value),
            byHost.ObeyRobots ?? byIntegration.ObeyRobots ?? ObeyRobots!.Value,
            Math.Max(1, byHost.MaxResponseBytes ?? byIntegration.MaxResponseBytes ?? MaxResponseBytes!.Value));
    }

    /// <summary>The outbound policy of <paramref name="integration"/>: the top-level rules plus its own.</summary>
    public OutboundPolicy OutboundFor(string integration) =>
        new(integration, Outbound ?? new OutboundRules(), Integrations.GetValueOrDefault(integration)?.Outbound);

    /// <summary>What is wrong with these options (checked at start); empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var host in Hosts.Where(h => h.Value.Outbound is not null).Select(h => h.Key))
            problems.Add($"Integrations:Http:Hosts:{host}:Outbound: outbound rules are set per integration or for all, not per host");
        foreach (var integration in Integrations.Keys.Append("*"))
        {
            try
            {
                _ = OutboundFor(integration);
            }
            catch (FormatException e)
            {
                problems.Add(e.Message);
            }
        }

        return problems;
    }

    private static readonly HttpPolicy Empty = new();
}

/// <summary>A policy with every value decided.</summary>
public sealed record ResolvedHttpPolicy(
    string UserAgent,
    TimeSpan Timeout,
    int MaxAttempts,
    TimeSpan BackoffBase,
    TimeSpan MaxBackoff,
    TimeSpan MaxRetryAfter,
    double RequestsPerSecond,
    int Burst,
    bool ObeyRobots,
    long MaxResponseBytes);
