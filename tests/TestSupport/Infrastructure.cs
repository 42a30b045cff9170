using System.Net.Http.Headers;
using System.Text;
using Jobs.ServiceDefaults;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace Jobs.TestSupport;

/// <summary>
/// The real RabbitMQ, Redis and PostgreSQL the tests run against: the addresses in <c>RABBITMQ_URL</c>,
/// <c>REDIS_URL</c> and <c>POSTGRES_URL</c>; containers only where those are unset and a Docker engine
/// answers; otherwise a failure that says what to start.
/// </summary>
public static class Infrastructure
{
    private const string HowToStart =
        "Start the local infrastructure with `make infra` (or `bash infra/install.sh && bash infra/start.sh`) and " +
        "`source infra/env.sh`, or set {0} to a running server, or run a Docker engine so Testcontainers can start one.";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _rabbit, _redis, _postgres;

    /// <summary>The broker (its first node when <c>RABBITMQ_URL</c> names a cluster: the tests' own management calls go there).</summary>
    public static async Task<Uri> RabbitMqAsync() => Connections.RabbitMq(await RabbitMqUrlAsync()).Uri;

    private static Task<string> RabbitMqUrlAsync() => ResolveAsync(Connections.RabbitMqKey, () => _rabbit, v => _rabbit = v, async () =>
    {
        var container = new RabbitMqBuilder("rabbitmq:3.10-management").Build();
        await container.StartAsync();
        return container.GetConnectionString();
    });

    /// <summary>
    /// The <c>RABBITMQ_URL</c> the services get for the virtual host <paramref name="vhostUri"/>: that address, with every node of
    /// the configured <c>RABBITMQ_URL</c> when it names a cluster.
    /// </summary>
    public static async Task<string> ServicesRabbitMqUrlAsync(Uri vhostUri)
    {
        var nodes = Connections.RabbitMq(await RabbitMqUrlAsync()).Nodes;
        if (nodes.Count < 2) return vhostUri.ToString();
        var user = vhostUri.UserInfo is { Length: > 0 } u ? u + "@" : "";
        return $"{vhostUri.Scheme}://{user}{string.Join(",", nodes.Select(n => $"{n.Host}:{n.Port}"))}{vhostUri.AbsolutePath}";
    }

    public static Task<string> RedisAsync() => ResolveAsync(Connections.RedisKey, () => _redis, v => _redis = v, async () =>
    {
        var container = new RedisBuilder("redis:7").WithCommand("--appendonly", "yes").Build();
        await container.StartAsync();
        return container.GetConnectionString();
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<bool>>> RedisClusters = new();

    /// <summary>Whether <paramref name="redis"/> (a <c>REDIS_URL</c>) is a Redis Cluster, asked once per address.</summary>
    public static Task<bool> IsRedisClusterAsync(string redis) => RedisClusters.GetOrAdd(redis, r => new Lazy<Task<bool>>(async () =>
    {
        var options = Connections.RedisOptions(r);
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options);
        return connection.GetServers().Any(s => s.ServerType == StackExchange.Redis.ServerType.Cluster);
    })).Value;

    public static Task<string> PostgresAsync() => ResolveAsync(Connections.PostgresKey, () => _postgres, v => _postgres = v, async () =>
    {
        var container = new PostgreSqlBuilder("postgres:15").Build();
        await container.StartAsync();
        return container.GetConnectionString();
    });

    /// <summary>
    /// The MariaDB (or MySQL) of <c>MYSQL_URL</c>, an ADO.NET connection string (infra/start.sh starts one and infra/env.sh exports
    /// it); no container is started for it: unset is a failure that says what to start.
    /// </summary>
    public static string MySql() =>
        Environment.GetEnvironmentVariable("MYSQL_URL") is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException("MYSQL_URL is not set. " + string.Format(HowToStart, "MYSQL_URL"));

    /// <summary>Creates an empty database for one test class and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var server = Connections.PostgresConnectionString(await PostgresAsync());
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database!;
        builder.Database = "postgres";
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
                return;
            }
            // FORCE may not terminate a session it has no right to signal: an autovacuum worker analysing the tables a
            // test just filled (42501), or one still starting (55006). They end by themselves within moments.
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    /// <summary>A new RabbitMQ virtual host (so tests never share queues with each other or a running system).</summary>
    public static async Task<Uri> CreateVirtualHostAsync(string prefix)
    {
        var broker = await RabbitMqAsync();
        var vhost = $"{prefix}-{Guid.NewGuid():N}";
        using var management = Management(broker);
        (await management.PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        var user = broker.UserInfo.Split(':')[0];
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await management.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", permissions)).EnsureSuccessStatusCode();
        return new UriBuilder(broker) { Path = "/" + Uri.EscapeDataString(vhost) }.Uri;
    }

    public static async Task DeleteVirtualHostAsync(Uri vhostUri)
    {
        using var management = Management(vhostUri);
        await management.DeleteAsync($"api/vhosts/{vhostUri.AbsolutePath.TrimStart('/')}");
    }

    /// <summary>
    /// An HTTP client for the RabbitMQ management API of the broker at <paramref name="broker"/>: <paramref name="management"/>, else
    /// <c>RABBITMQ_MANAGEMENT_URL</c>, else port 15672 of the broker's host.
    /// </summary>
    public static HttpClient Management(Uri broker, Uri? management = null)
    {
        management ??= Environment.GetEnvironmentVariable(Connections.RabbitMqManagementKey) is { Length: > 0 } url
            ? new Uri(url)
            : new Uri($"http://{broker.Host}:15672/");
        var client = new HttpClient { BaseAddress = management, Timeout = TimeSpan.FromSeconds(30) };
        var credentials = Uri.UnescapeDataString(broker.UserInfo is { Length: > 0 } u ? u : "guest:guest");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return client;
    }

    private static async Task<string> ResolveAsync(string key, Func<string?> get, Action<string> set, Func<Task<string>> container)
    {
        if (get() is { } known) return known;
        await Gate.WaitAsync();
        try
        {
            if (get() is { } again) return again;
            var value = Environment.GetEnvironmentVariable(key);
            if (string.IsNullOrWhiteSpace(value))
            {
                if (!DockerAnswers())
                    throw new InvalidOperationException($"{key} is not set and no Docker engine answers. " + string.Format(HowToStart, key));
                value = await container();
            }

            set(value);
            return value;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static bool DockerAnswers()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host)) return true;
        if (!File.Exists("/var/run/docker.sock")) return false;
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint("/var/run/docker.sock"));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
