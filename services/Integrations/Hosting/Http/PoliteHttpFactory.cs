using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting.Http;

/// <summary>One <see cref="PoliteHttpClient"/> per integration, over the shared HTTP connection pool.</summary>
public sealed class PoliteHttpFactory(IHttpClientFactory clients, IConnectionMultiplexer redis, IOptions<PoliteHttpOptions> options)
{
    public const string ClientName = "polite";

    private readonly ConcurrentDictionary<string, PoliteHttpClient> _clients = new(StringComparer.Ordinal);

    public PoliteHttpClient For(string integration) =>
        _clients.GetOrAdd(integration, name => new PoliteHttpClient(clients.CreateClient(ClientName), redis, options.Value, name));

    /// <summary>Registers the factory, its options (<c>Integrations:Http</c>) and the HTTP client it sends through.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PoliteHttpOptions>(configuration.GetSection("Integrations:Http"));
        services.AddHttpClient(ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = 32,
            })
            // Timeouts are per attempt in PoliteHttpClient; the handler's lifetime is the pool's business.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddSingleton<PoliteHttpFactory>();
    }
}
