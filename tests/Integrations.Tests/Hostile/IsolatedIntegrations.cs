using Jobs.JobTree;
using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Hostile;

/// <summary>
/// The built Integrations service as a real process hosting one platform, on a RabbitMQ virtual host and a database of its own:
/// batches are published to its queue as the Integrator would send them, and what it publishes as <see cref="ChildJobsFinished"/>
/// lands in a queue of the test's. Disposing stops it, removes both, and puts back the platform's entry in the shared catalog.
/// </summary>
internal sealed class IsolatedIntegrations : IAsyncDisposable
{
    private const string FinishedQueue = "hostile-tests-child-jobs-finished";

    private readonly HostFixture _host;
    private readonly StackExchange.Redis.RedisValue _platformBefore;
    private readonly string _database;

    private IsolatedIntegrations(HostFixture host, string platform, Uri vhost, string database, StackExchange.Redis.RedisValue platformBefore,
        IReadOnlyDictionary<string, string> settings)
    {
        _host = host;
        Platform = platform;
        VirtualHost = vhost;
        _database = database;
        _platformBefore = platformBefore;
        var environment = new Dictionary<string, string>(settings)
        {
            [Connections.RabbitMqKey] = vhost.ToString(),
            [Connections.RedisKey] = Infrastructure.RedisAsync().Result,
            [Connections.PostgresKey] = database,
            ["Integrations__Enabled__0"] = platform,
        };
        Process = new ServiceProcess("Integrations", ServiceSystem.DllOf("Integrations"), environment);
    }

    public string Platform { get; }

    public Uri VirtualHost { get; }

    public ServiceProcess Process { get; }

    public static async Task<IsolatedIntegrations> StartAsync(HostFixture host, string platform, IReadOnlyDictionary<string, string> settings)
    {
        var before = await host.Redis.GetDatabase().HashGetAsync(PlatformCatalog.Key, platform);
        var system = new IsolatedIntegrations(host, platform, await Infrastructure.CreateVirtualHostAsync("hostile"),
            await Infrastructure.CreateDatabaseAsync("hostile"), before, settings);
        try
        {
            await system.Process.StartAsync();
            await BrokerMessages.BindQueueAsync<ChildJobsFinished>(system.VirtualHost, FinishedQueue);
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }

        return system;
    }

    public Task SendAsync(RunChildJobs batch) => BrokerMessages.PublishAsync(VirtualHost, IntegrationQueues.QueueName(Platform), batch);

    /// <summary>The outcomes of the next <see cref="ChildJobsFinished"/> the process publishes.</summary>
    public async Task<IReadOnlyList<JsonElement>> FinishedAsync(TimeSpan timeout)
    {
        var finished = await Eventually.Until(() => BrokerMessages.TakeAsync(VirtualHost, FinishedQueue, count: 1), m => m.Count > 0, timeout,
            $"a ChildJobsFinished\n{Process.Tail(30)}");
        return finished[0].GetProperty("outcomes").EnumerateArray().ToList();
    }

    /// <summary>Seconds of CPU the process has used so far (user + system, from /proc).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Process.ProcessId ?? throw new InvalidOperationException("the process is not running")}/stat");
        // Fields after the command name (which is in parentheses and may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double ticksPerSecond = 100; // USER_HZ on Linux
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        await Infrastructure.DeleteVirtualHostAsync(VirtualHost);
        await Infrastructure.DropDatabaseAsync(_database);
        var redis = _host.Redis.GetDatabase();
        if (_platformBefore.IsNull) await redis.HashDeleteAsync(PlatformCatalog.Key, Platform);
        else await redis.HashSetAsync(PlatformCatalog.Key, Platform, _platformBefore);
    }
}
