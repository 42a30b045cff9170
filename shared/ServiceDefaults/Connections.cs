using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.ServiceDefaults;

/// <summary>
/// The infrastructure addresses, bound from the root configuration keys <c>RABBITMQ_URL</c>, <c>REDIS_URL</c>,
/// <c>POSTGRES_URL</c> and <c>RABBITMQ_MANAGEMENT_URL</c> (environment variables of the same names override
/// appsettings.json). Consumers take <c>IOptions&lt;ConnectionOptions&gt;</c>.
/// </summary>
/// <remarks>
/// This is the one place that reads connection strings. They are bound here rather than by each caller because the
/// addresses are the hosting library's business: they are needed while the host is being composed (the bus host,
/// Quartz's data source, the Integrations' outbound rules), before there is a container to ask for options, so
/// <see cref="Connections.Read"/> binds the same class straight from configuration for those callers.
/// </remarks>
public sealed class ConnectionOptions
{
    [ConfigurationKeyName(Connections.RabbitMqKey)]
    public string RabbitMqUrl { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    [ConfigurationKeyName(Connections.RedisKey)]
    public string RedisUrl { get; set; } = "127.0.0.1:6379";

    [ConfigurationKeyName(Connections.PostgresKey)]
    public string PostgresUrl { get; set; } = "Host=127.0.0.1;Port=5432;Database=jobs;Username=jobs;Password=jobs";

    /// <summary>The broker's management API; unset: port 15672 on the broker's host.</summary>
    [ConfigurationKeyName(Connections.RabbitMqManagementKey)]
    public string? RabbitMqManagementUrl { get; set; }

    /// <summary>The URLs this process listens on (<c>Urls</c>, else <c>ASPNETCORE_URLS</c>), ';'-separated.</summary>
    [ConfigurationKeyName("Urls")]
    public string? Urls { get; set; }

    [ConfigurationKeyName("ASPNETCORE_URLS")]
    public string? AspNetCoreUrls { get; set; }

    /// <summary><see cref="Urls"/>, else <see cref="AspNetCoreUrls"/>; empty when neither is set.</summary>
    public string ServiceUrls => Urls ?? AspNetCoreUrls ?? "";

    /// <summary>The broker's address, with the first node when <c>RABBITMQ_URL</c> names several (<see cref="RabbitMqNodes"/>).</summary>
    public Uri RabbitMqUri => Connections.RabbitMq(RabbitMqUrl).Uri;

    /// <summary>
    /// Every node <c>RABBITMQ_URL</c> names: <c>amqp://user:password@host1:5672,host2:5672,host3/vhost</c> is a cluster of three,
    /// the bus connects to any live one and moves on to another when it dies.
    /// </summary>
    public IReadOnlyList<RabbitMqNode> RabbitMqNodes => Connections.RabbitMq(RabbitMqUrl).Nodes;

    public Uri RabbitMqManagementUri => new(RabbitMqManagementUrl is { Length: > 0 } url ? url : $"http://{RabbitMqUri.Host}:15672/");

    public ConfigurationOptions RedisOptions => Connections.RedisOptions(RedisUrl);

    public string PostgresConnectionString => Connections.PostgresConnectionString(PostgresUrl);

    /// <summary>Section <c>Postgres</c>: the connection of each owner of tables (<see cref="PostgresConnectionStringFor"/>).</summary>
    [ConfigurationKeyName("Postgres")]
    public PostgresRoleOptions PostgresRoles { get; set; } = new();

    /// <summary>
    /// The connection of <paramref name="owner"/> (an integration's name, <c>auditor</c>, <c>reporting</c>): <c>Postgres:Connections:&lt;owner&gt;</c>
    /// when configured; else, for local runs, <c>POSTGRES_URL</c> as the role <c>&lt;its user&gt;_&lt;owner&gt;</c> with the same password
    /// (<c>jobs_catalogue</c>), the role <c>infra/</c> creates; <c>POSTGRES_URL</c> itself when <c>Postgres:DeriveRoles</c> is false.
    /// </summary>
    public string PostgresConnectionStringFor(string owner)
    {
        if (PostgresRoles.Connections.TryGetValue(owner, out var configured) && !string.IsNullOrWhiteSpace(configured))
            return Connections.PostgresConnectionString(configured);
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        if (!PostgresRoles.DeriveRoles || string.IsNullOrEmpty(builder.Username)) return builder.ConnectionString;
        builder.Username = $"{builder.Username}_{owner}";
        return builder.ConnectionString;
    }

    /// <summary>What is wrong with the addresses, each problem named by its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (Connections.RabbitMqProblem(RabbitMqUrl) is { } rabbit) yield return $"{Connections.RabbitMqKey}: '{Connections.Redacted(RabbitMqUrl)}' {rabbit}";
        if (RabbitMqManagementUrl is { Length: > 0 } management && !Uri.TryCreate(management, UriKind.Absolute, out _))
            yield return $"{Connections.RabbitMqManagementKey}: '{management}' is not an absolute URI";
        if (string.IsNullOrWhiteSpace(RedisUrl)) yield return $"{Connections.RedisKey}: is required";
        if (string.IsNullOrWhiteSpace(PostgresUrl)) yield return $"{Connections.PostgresKey}: is required";
    }
}

/// <summary>
/// Section <c>Postgres</c>: one database role per owner of tables. Each integration owns its tables through its role and can touch no
/// other's, the Auditor owns the audit tables, Reporting reads through a role that can write nothing (<c>infra/postgres/roles.sql</c>).
/// </summary>
public sealed class PostgresRoleOptions
{
    /// <summary>Connection strings (or <c>postgres://</c> URLs) by owner name, such as <c>Postgres:Connections:catalogue</c>.</summary>
    public Dictionary<string, string> Connections { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether an owner without a configured connection uses the derived role <c>&lt;POSTGRES_URL user&gt;_&lt;owner&gt;</c> (true) or <c>POSTGRES_URL</c> as it is.</summary>
    public bool DeriveRoles { get; set; } = true;
}

/// <summary>One RabbitMQ node of <c>RABBITMQ_URL</c>.</summary>
public sealed record RabbitMqNode(string Host, int Port);

/// <summary>Reads and parses the infrastructure addresses (<see cref="ConnectionOptions"/>).</summary>
public static class Connections
{
    public const string RabbitMqKey = "RABBITMQ_URL";
    public const string RedisKey = "REDIS_URL";
    public const string PostgresKey = "POSTGRES_URL";
    public const string RabbitMqManagementKey = "RABBITMQ_MANAGEMENT_URL";

    /// <summary>The addresses bound from <paramref name="configuration"/>, for code that runs while the host is composed.</summary>
    public static ConnectionOptions Read(IConfiguration configuration)
    {
        var options = new ConnectionOptions();
        configuration.Bind(options);
        return options;
    }

    /// <summary><see cref="ConnectionOptions"/> bound from the root of configuration and validated at start (once, however often it is called).</summary>
    public static OptionsBuilder<ConnectionOptions> AddConnectionOptions(this IServiceCollection services)
    {
        var builder = services.AddOptions<ConnectionOptions>();
        if (services.Any(d => d.ServiceType == typeof(IConfigureOptions<ConnectionOptions>))) return builder;
        return builder.Configure<IConfiguration>((options, configuration) => configuration.Bind(options))
            .ValidateProblems(o => o.Problems()).ValidateOnStart();
    }

    /// <summary>
    /// Parses <c>amqp[s]://[user[:password]@]host[:port][,host[:port]...][/vhost]</c>: the address with the first node, and every node
    /// (the port defaults to 5672, 5671 for amqps). Throws <see cref="FormatException"/> on anything else.
    /// </summary>
    public static (Uri Uri, IReadOnlyList<RabbitMqNode> Nodes) RabbitMq(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0) throw new FormatException("is not an amqp:// URI");
        var slash = value.IndexOf('/', scheme + 3);
        var authority = slash < 0 ? value[(scheme + 3)..] : value[(scheme + 3)..slash];
        var rest = slash < 0 ? "/" : value[slash..];
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? "" : authority[..(at + 1)];
        var defaultPort = value[..scheme].Equals("amqps", StringComparison.OrdinalIgnoreCase) ? 5671 : 5672;
        var nodes = new List<RabbitMqNode>();
        foreach (var part in authority[(at + 1)..].Split(','))
        {
            if (!Uri.TryCreate($"{value[..scheme]}://{part.Trim()}/", UriKind.Absolute, out var node) || node.Host.Length == 0)
                throw new FormatException($"names a node '{part}' that is not host[:port]");
            nodes.Add(new RabbitMqNode(node.Host, node.IsDefaultPort || node.Port <= 0 ? defaultPort : node.Port));
        }

        var first = nodes[0];
        if (!Uri.TryCreate($"{value[..scheme]}://{userInfo}{first.Host}:{first.Port}{rest}",
                UriKind.Absolute, out var uri))
            throw new FormatException("is not an absolute URI");
        return (uri, nodes);
    }

    /// <summary>What is wrong with a <c>RABBITMQ_URL</c> value; null when it parses.</summary>
    public static string? RabbitMqProblem(string value)
    {
        try
        {
            var (uri, _) = RabbitMq(value);
            return uri.Scheme is "amqp" or "amqps" ? null : "is not an amqp:// or amqps:// URI";
        }
        catch (FormatException x)
        {
            return x.Message;
        }
    }

    /// <summary>A URL with its password replaced by <c>***</c>, for messages.</summary>
    public static string Redacted(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        var at = value.LastIndexOf('@');
        if (scheme < 0 || at < scheme) return value;
        var colon = value.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? value : value[..(colon + 1)] + "***" + value[at..];
    }

    /// <summary>Accepts <c>host:port[,options]</c> (StackExchange.Redis syntax) or <c>redis://[:password@]host:port[/db]</c>.</summary>
    public static ConfigurationOptions RedisOptions(string? value)
    {
        value ??= new ConnectionOptions().RedisUrl;
        ConfigurationOptions options;
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            var uri = new Uri(value);
            options = new ConfigurationOptions();
            options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port);
            var userInfo = Uri.UnescapeDataString(uri.UserInfo);
            if (userInfo.Length > 0)
            {
                var colon = userInfo.IndexOf(':');
                if (colon >= 0)
                {
                    if (colon > 0) options.User = userInfo[..colon];
                    options.Password = userInfo[(colon + 1)..];
                }
                else
                {
                    options.Password = userInfo;
                }
            }

            if (int.TryParse(uri.AbsolutePath.Trim('/'), out var db)) options.DefaultDatabase = db;
        }
        else
        {
            options = ConfigurationOptions.Parse(value);
        }

        options.AbortOnConnectFail = false;
        options.ConnectRetry = 5;
        return options;
    }

    /// <summary>Accepts an Npgsql connection string or <c>postgres://user:password@host:port/database</c>.</summary>
    public static string PostgresConnectionString(string? value)
    {
        value ??= new ConnectionOptions().PostgresUrl;
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return value;

        var uri = new Uri(value);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length > 1) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        return builder.ConnectionString;
    }
}
