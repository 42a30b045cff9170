using System.Net;
using Jobs.ServiceDefaults;
using Npgsql;

namespace Jobs.Integrations.Tests;

public sealed class ConnectionsTests
{
    [Fact]
    public void When_redis_is_given_as_a_url_Should_take_host_port_password_and_database()
    {
        var options = Connections.RedisOptions("redis://:pw@cache.example:6380/2");

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(options.EndPoints));
        Assert.Equal("cache.example", endpoint.Host);
        Assert.Equal(6380, endpoint.Port);
        Assert.Equal("pw", options.Password);
        Assert.Null(options.User);
        Assert.Equal(2, options.DefaultDatabase);
        Assert.False(options.AbortOnConnectFail);
    }

    [Fact]
    public void When_redis_url_has_user_and_no_port_Should_take_the_user_and_default_port()
    {
        var options = Connections.RedisOptions("redis://worker:p%40ss@cache.example");

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(options.EndPoints));
        Assert.Equal(6379, endpoint.Port);
        Assert.Equal("worker", options.User);
        Assert.Equal("p@ss", options.Password);
        Assert.Null(options.DefaultDatabase);
    }

    [Fact]
    public void When_redis_is_given_as_host_and_port_Should_parse_it_the_stack_exchange_way()
    {
        var options = Connections.RedisOptions("cache.example:6379");

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(options.EndPoints));
        Assert.Equal("cache.example", endpoint.Host);
        Assert.Equal(6379, endpoint.Port);
        Assert.Null(options.Password);
        Assert.False(options.AbortOnConnectFail);
    }

    [Fact]
    public void When_postgres_is_given_as_a_url_Should_convert_it_to_a_connection_string()
    {
        var builder = new NpgsqlConnectionStringBuilder(Connections.PostgresConnectionString("postgres://u:p@h:5433/db"));

        Assert.Equal("h", builder.Host);
        Assert.Equal(5433, builder.Port);
        Assert.Equal("db", builder.Database);
        Assert.Equal("u", builder.Username);
        Assert.Equal("p", builder.Password);
    }

    [Fact]
    public void When_postgresql_url_has_no_port_or_database_Should_use_5432_and_postgres()
    {
        var builder = new NpgsqlConnectionStringBuilder(Connections.PostgresConnectionString("postgresql://u%40x:p%3Aq@h"));

        Assert.Equal(5432, builder.Port);
        Assert.Equal("postgres", builder.Database);
        Assert.Equal("u@x", builder.Username);
        Assert.Equal("p:q", builder.Password);
    }

    [Fact]
    public void When_postgres_is_given_as_key_value_pairs_Should_pass_it_through_unchanged()
    {
        const string value = "Host=db.example;Port=6543;Database=audit;Username=a;Password=b";

        Assert.Equal(value, Connections.PostgresConnectionString(value));
    }
}
