using System.Net;
using System.Net.Sockets;

namespace Jobs.Plugins.Http;

/// <summary>
/// Configuration <c>Integrations:Http:Outbound</c> (every integration) and <c>Integrations:Http:Integrations:&lt;name&gt;:Outbound</c>
/// (adds to it for one integration): what outbound requests made on behalf of jobs may reach besides public addresses.
/// </summary>
public sealed class OutboundRules
{
    /// <summary>Host names (as written in URLs, such as <c>shop.internal</c>) whose addresses are admitted whatever they are.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Address ranges in CIDR notation (such as <c>127.0.0.0/8</c>, <c>10.1.2.0/24</c>, <c>::1/128</c>) admitted on purpose.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>
    /// Ports refused on every address that is not public, even an allowed one: the platform's own (the services' HTTP ports,
    /// RabbitMQ's management port). Only in the top-level section.
    /// </summary>
    public List<int> ProtectedPorts { get; set; } = [5080, 5081, 5082, 5083, 5084, 15672];

    /// <summary>
    /// <c>host:port</c> pairs refused always, allowlist or not. The service adds its RabbitMQ, Redis and PostgreSQL endpoints and
    /// its own URLs at start. Only in the top-level section.
    /// </summary>
    public List<string> RefusedEndpoints { get; set; } = [];
}

/// <summary>A connection the outbound policy does not allow; the message names the URL, the address and the rule.</summary>
public sealed class OutboundRefusedException(Uri uri, string rule)
    : Exception($"{UriDisplay.Shown(uri)}: refused by the outbound policy: {rule}")
{
    public Uri Uri { get; } = uri;

    public string Rule { get; } = rule;
}

/// <summary>
/// Where requests made on behalf of one integration's jobs may connect. Public addresses are allowed; loopback, private
/// (RFC 1918, CGNAT, unique-local), link-local (cloud metadata services), multicast, broadcast, reserved and unspecified
/// addresses are refused unless the host name or the address is allowlisted. The platform's own endpoints are refused even
/// then. The check runs in the handler's <see cref="SocketsHttpHandler.ConnectCallback"/> on the addresses the name resolves
/// to, so it holds for every redirect hop and a name that resolves differently on the second look (DNS rebinding).
/// </summary>
public sealed class OutboundPolicy
{
    private static readonly (IPNetwork Network, string Kind)[] Refused =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified ('this network') address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private (RFC 1918) address"),
        (IPNetwork.Parse("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (such as a cloud metadata service)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private (RFC 1918) address"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private (RFC 1918) address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved or broadcast address"),
        (IPNetwork.Parse("::/128"), "an unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("fc00::/7"), "a unique-local (private) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local (private) address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly HashSet<string> _allowedHosts;
    private readonly IPNetwork[] _allowedNetworks;
    private readonly HashSet<int> _protectedPorts;
    private readonly (string Host, IPAddress[] Addresses, int Port)[] _refusedEndpoints;
    private readonly string _settings;

    public OutboundPolicy(string integration, OutboundRules defaults, OutboundRules? forIntegration)
    {
        Integration = integration;
        // Configuration can bind empty entries (an emptied environment variable): they admit and refuse nothing.
        _allowedHosts = Entries(defaults.AllowedHosts.Concat(forIntegration?.AllowedHosts ?? []))
            .Select(h => h.TrimStart('[').TrimEnd(']')).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _allowedNetworks = Entries(defaults.AllowedNetworks.Concat(forIntegration?.AllowedNetworks ?? [])).Select(ParseNetwork).ToArray();
        _protectedPorts = defaults.ProtectedPorts.ToHashSet();
        _refusedEndpoints = Entries(defaults.RefusedEndpoints).Select(ParseEndpoint).ToArray();
        _settings = $"AllowedHosts or AllowedNetworks under Integrations:Http:Integrations:{integration}:Outbound or Integrations:Http:Outbound";
    }

    public string Integration { get; }

    /// <summary>Why a connection to <paramref name="address"/>:<paramref name="port"/> for a URL naming <paramref name="host"/> is refused; null when it is allowed.</summary>
    public string? Refusal(string host, IPAddress address, int port)
    {
        var plain = Unmapped(address);
        var kind = KindOf(plain);
        var shown = Shown(plain, port);
        foreach (var (refusedHost, refusedAddresses, refusedPort) in _refusedEndpoints)
        {
            if (refusedPort == port && (string.Equals(refusedHost, host, StringComparison.OrdinalIgnoreCase) || refusedAddresses.Contains(plain)))
                return $"{shown} is one of the platform's own endpoints (its RabbitMQ, Redis, PostgreSQL or service URLs), never allowed";
        }

        if (kind is null) return null;
        if (_protectedPorts.Contains(port))
            return $"{shown} is {kind} on port {port}, one of the platform's own ports (Integrations:Http:Outbound:ProtectedPorts), never allowed";
        if (_allowedHosts.Contains(host) || _allowedNetworks.Any(n => n.Contains(plain))) return null;
        return $"{plain} is {kind} (allow it with {_settings})";
    }

    /// <summary>A handler whose every connection goes through this policy (no proxy: the policy must see the real destination).</summary>
    public SocketsHttpHandler CreateHandler(DecompressionMethods decompression = DecompressionMethods.None) => new()
    {
        AutomaticDecompression = decompression,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 32,
        UseProxy = false,
        MaxAutomaticRedirections = 10,
        ConnectCallback = ConnectAsync,
    };

    /// <summary>Resolves the host, keeps the allowed addresses and connects to the first that answers; none allowed: <see cref="OutboundRefusedException"/>.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var host = endpoint.Host.TrimStart('[').TrimEnd(']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var uri = context.InitialRequestMessage.RequestUri ?? new Uri($"http://{endpoint.Host}:{endpoint.Port}/");
        string? firstRefusal = null;
        Exception? lastFailure = null;
        foreach (var address in addresses)
        {
            if (Refusal(host, address, endpoint.Port) is { } refusal)
            {
                firstRefusal ??= literal is not null ? refusal : $"{host} resolves to {address}: {refusal}";
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                lastFailure = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (lastFailure is not null) throw lastFailure;
        throw new OutboundRefusedException(uri, firstRefusal ?? $"{host} resolves to no address");
    }

    /// <summary>
    /// The refusal inside the exception of a request for <paramref name="requested"/>, if the outbound policy is why it failed,
    /// naming <paramref name="requested"/> (and the redirect hop that was refused, if that is where it happened).
    /// </summary>
    public static OutboundRefusedException? RefusalFor(Uri requested, Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is OutboundRefusedException refused)
                return refused.Uri == requested ? refused : new OutboundRefusedException(requested, $"redirected to {UriDisplay.Shown(refused.Uri)}: {refused.Rule}");
        }

        return null;
    }

    /// <summary>Why the address is not public (its kind), or null for a public address.</summary>
    public static string? KindOf(IPAddress address)
    {
        var plain = Unmapped(address);
        if (plain.AddressFamily == AddressFamily.InterNetworkV6 && (Nat64.Contains(plain) || SixToFour.Contains(plain)))
        {
            // Translated IPv4 addresses: the embedded IPv4 address decides.
            var bytes = plain.GetAddressBytes();
            var embedded = Nat64.Contains(plain) ? new IPAddress(bytes.AsSpan(12, 4)) : new IPAddress(bytes.AsSpan(2, 4));
            return KindOf(embedded) is { } kind ? $"{kind} behind an IPv6 translation prefix" : null;
        }

        foreach (var (network, kind) in Refused)
            if (network.BaseAddress.AddressFamily == plain.AddressFamily && network.Contains(plain)) return kind;
        return null;
    }

    private static IEnumerable<string> Entries(IEnumerable<string?> values) =>
        values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim());

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string Shown(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    private static IPNetwork ParseNetwork(string value)
    {
        var text = value.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var single))
            return new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        return IPNetwork.TryParse(text, out var network)
            ? network
            : throw new FormatException($"Integrations:Http outbound AllowedNetworks entry '{value}' is not an address or a CIDR range (such as 10.1.0.0/16)");
    }

    /// <summary>A refused <c>host:port</c> with the addresses its host has now (a name is resolved once, when the policy is made).</summary>
    private static (string Host, IPAddress[] Addresses, int Port) ParseEndpoint(string value)
    {
        var text = value.Trim();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is <= 0 or > 65535)
            throw new FormatException($"Integrations:Http:Outbound:RefusedEndpoints entry '{value}' is not host:port");
        var host = text[..colon].TrimStart('[').TrimEnd(']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal)) addresses = [literal];
        else
        {
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (SocketException)
            {
                addresses = []; // not resolvable now: still refused by name
            }
        }

        return (host, addresses.Select(Unmapped).ToArray(), port);
    }
}
