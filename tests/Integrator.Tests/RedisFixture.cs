using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using StackExchange.Redis;

namespace Jobs.Integrator.Tests;

/// <summary>One connection to the real Redis for a test class.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Redis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(await Infrastructure.RedisAsync()));

    public async Task DisposeAsync() => await Redis.DisposeAsync();
}
