using Microsoft.Extensions.Configuration;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.ServiceDefaults;

/// <summary>
/// The three infrastructure addresses, read from configuration keys <c>RABBITMQ_URL</c>, <c>REDIS_URL</c> and
/// <c>POSTGRES_URL</c> (environment variables of the same names override appsettings.json).
/// </summary>
public static class Connections
{
    public const string RabbitMqKey = "RABBITMQ_URL";
    public const string RedisKey = "REDIS_URL";
    public const string PostgresKey = "POSTGRES_URL";

    public static Uri RabbitMqUri(IConfiguration configuration) =>
        new(configuration[RabbitMqKey] ?? "amqp://guest:guest@127.0.0.1:5672/");

    /// <summary>The Redis address of <see cref="RedisKey"/> (see <see cref="RedisOptions(string?)"/>).</summary>
    public static ConfigurationOptions RedisOptions(IConfiguration configuration) => RedisOptions(configuration[RedisKey]);

    /// <summary>The PostgreSQL address of <see cref="PostgresKey"/> (see <see cref="PostgresConnectionString(string?)"/>).</summary>
    public static string PostgresConnectionString(IConfiguration configuration) => PostgresConnectionString(configuration[PostgresKey]);

    /// <summary>The URLs this process listens on (<c>Urls</c>, else <c>ASPNETCORE_URLS</c>), ';'-separated; empty when neither is set.</summary>
    public static string ServiceUrls(IConfiguration configuration) => configuration["Urls"] ?? configuration["ASPNETCORE_URLS"] ?? "";

    /// <summary>Accepts <c>host:port[,options]</c> (StackExchange.Redis syntax) or <c>redis://[:password@]host:port[/db]</c>.</summary>
    public static ConfigurationOptions RedisOptions(string? value)
    {
        value ??= "127.0.0.1:6379";
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
        value ??= "Host=127.0.0.1;Port=5432;Database=jobs;Username=jobs;Password=jobs";
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
