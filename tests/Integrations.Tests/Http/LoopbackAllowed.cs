using Jobs.Plugins.Http;

namespace Jobs.Integrations.Tests.Http;

/// <summary>
/// The test servers (shop, fake APIs, file mirror) listen on loopback, which the outbound policy refuses by default: tests
/// that fetch from them allow it explicitly, as an operator allows a local test shop.
/// </summary>
internal static class LoopbackAllowed
{
    public const string Network = "127.0.0.0/8";

    public static PoliteHttpOptions AllowingLoopback(this PoliteHttpOptions options)
    {
        (options.Outbound ??= new OutboundRules()).AllowedNetworks.Add(Network);
        return options;
    }
}
