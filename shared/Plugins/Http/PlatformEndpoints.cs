using System.Net;
using Jobs.ServiceDefaults;
using Npgsql;

namespace Jobs.Plugins.Http;

/// <summary>
/// The platform's own endpoints as this process's configuration names them, refused by the outbound policy whatever the
/// allowlist says: RabbitMQ (and its management port), Redis, PostgreSQL, and this service's own URLs.
/// </summary>
public static class PlatformEndpoints
{
    /// <summary>Adds the configured endpoints to <see cref="OutboundRules.RefusedEndpoints"/>, and a wildcard URL's port to the protected ports.</summary>
    public static void AddTo(OutboundRules rules, IConfiguration configuration)
    {
        var connections = Connections.Read(configuration);
        foreach (var node in connections.RabbitMqNodes)
        {
            rules.RefusedEndpoints.Add(Endpoint(node.Host, node.Port));
            rules.RefusedEndpoints.Add(Endpoint(node.Host, 15672));
        }

        if (connections.RabbitMqManagementUrl is { Length: > 0 })
            rules.RefusedEndpoints.Add(Endpoint(connections.RabbitMqManagementUri.Host, connections.RabbitMqManagementUri.Port));

        foreach (var endpoint in connections.RedisOptions.EndPoints)
        {
            switch (endpoint)
            {
                case DnsEndPoint dns:
                    rules.RefusedEndpoints.Add(Endpoint(dns.Host, dns.Port > 0 ? dns.Port : 6379));
                    break;
                case IPEndPoint ip:
                    rules.RefusedEndpoints.Add(Endpoint(ip.Address.ToString(), ip.Port > 0 ? ip.Port : 6379));
                    break;
            }
        }

        var postgres = new NpgsqlConnectionStringBuilder(connections.PostgresConnectionString);
        foreach (var host in (postgres.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Npgsql accepts "host" or "host:port" in a list; a Unix socket directory is no network endpoint.
            if (host.StartsWith('/')) continue;
            var colon = host.LastIndexOf(':');
            rules.RefusedEndpoints.Add(colon > 0 && !host.EndsWith(']') && int.TryParse(host[(colon + 1)..], out var port)
                ? Endpoint(host[..colon], port)
                : Endpoint(host, postgres.Port));
        }

        foreach (var url in connections.ServiceUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "http://+:80" or "http://*:80" is no URI; read its port by hand.
            var wildcard = url.Replace("://+", "://wildcard", StringComparison.Ordinal).Replace("://*", "://wildcard", StringComparison.Ordinal);
            if (!Uri.TryCreate(wildcard, UriKind.Absolute, out var uri)) continue;
            var any = uri.Host is "wildcard" or "0.0.0.0" or "[::]" or "::";
            if (any) rules.ProtectedPorts.Add(uri.Port);
            else rules.RefusedEndpoints.Add(Endpoint(uri.Host, uri.Port));
        }
    }

    private static string Endpoint(string host, int port) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
}
