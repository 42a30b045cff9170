using System.Net;
using Jobs.ServiceDefaults;
using Npgsql;

namespace Jobs.Integrations.Tests;

public sealed class ConnectionsTests
{
    [Fact]
    public void When_rabbitmq_url_names_three_nodes_Should_give_every_node_and_the_first_as_the_address_with_credentials_and_vhost()
    {
        var (uri, nodes) = Connections.RabbitMq("amqp://app:s%40cret@mq1.example:5681,mq2.example,10.0.0.3:5683/jobs%2Fprod");

        Assert.Equal([new RabbitMqNode("mq1.example", 5681), new RabbitMqNode("mq2.example", 5672), new RabbitMqNode("10.0.0.3", 5683)], nodes);
        Assert.Equal("mq1.example", uri.Host);
        Assert.Equal(5681, uri.Port);
        Assert.Equal("app:s%40cret", uri.UserInfo);
        Assert.Equal("/jobs%2Fprod", uri.AbsolutePath);
        Assert.Equal(nodes, new ConnectionOptions { RabbitMqUrl = "amqp://app:s%40cret@mq1.example:5681,mq2.example,10.0.0.3:5683/jobs%2Fprod" }.RabbitMqNodes);
    }

    [Fact]
    public void When_rabbitmq_url_names_one_node_without_port_Should_default_to_5672_or_5671_for_amqps()
    {
        Assert.Equal([new RabbitMqNode("localhost", 5672)], Connections.RabbitMq("amqp://localhost").Nodes);
        Assert.Equal([new RabbitMqNode("mq.example", 5671)], Connections.RabbitMq("amqps://u:p@mq.example/").Nodes);
    }

    [Theory]
    [InlineData("not a url", "is not an amqp:// URI")]
    [InlineData("http://mq.example/", "is not an amqp:// or amqps:// URI")]
    [InlineData("amqp://u:p@mq1.example,,mq2.example/", "names a node '' that is not host[:port]")]
    [InlineData("amqp://u:p@mq1.example:notaport/", "names a node 'mq1.example:notaport' that is not host[:port]")]
    public void When_rabbitmq_url_is_malformed_Should_say_what_is_wrong_without_the_password(string url, string problem)
    {
        var problems = new ConnectionOptions { RabbitMqUrl = url }.Problems().ToList();

        var message = Assert.Single(problems);
        Assert.StartsWith("RABBITMQ_URL: ", message);
        Assert.EndsWith(problem, message);
        Assert.DoesNotContain(":p@", message);
    }

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
