using System.Collections.Concurrent;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Plugins.Http;

/// <summary>
/// One <see cref="PoliteHttpClient"/> per integration, and for integrations that stream downloads themselves, one plain
/// <see cref="HttpClient"/> per integration: both connect only where the integration's <see cref="OutboundPolicy"/> allows.
/// </summary>
public sealed class PoliteHttpFactory(IConnectionMultiplexer redis, IOptions<PoliteHttpOptions> options)
{
    private readonly ConcurrentDictionary<string, PoliteHttpClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HttpClient> _downloads = new(StringComparer.Ordinal);

    public PoliteHttpClient For(string integration) =>
        _clients.GetOrAdd(integration, name => new PoliteHttpClient(redis, options.Value, name));

    /// <summary>
    /// A client for long downloads of <paramref name="integration"/> (no timeout, no decompression, no size limit: the caller streams
    /// the body to disk under its own cap), under the integration's outbound policy.
    /// </summary>
    public HttpClient DownloadsFor(string integration, string userAgent) =>
        _downloads.GetOrAdd(integration, name =>
        {
            var client = new HttpClient(options.Value.OutboundFor(name).CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
            return client;
        });

    /// <summary>The configuration section of the HTTP options.</summary>
    public const string Section = "Integrations:Http";

    /// <summary>
    /// Registers the factory and its options (<c>Integrations:Http</c>, checked at start), with the platform's own endpoints
    /// (as the process's configuration names them) refused by every integration's outbound policy.
    /// </summary>
    public static void Register(IServiceCollection services)
    {
        services.AddValidatedOptions<PoliteHttpOptions>(Section)
            .ValidateProblems(o => o.Problems())
            .PostConfigure<IConfiguration>((o, configuration) => PlatformEndpoints.AddTo(o.Outbound ??= new OutboundRules(), configuration));
        services.AddSingleton<PoliteHttpFactory>();
    }
}
