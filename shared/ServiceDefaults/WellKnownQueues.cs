using Jobs.JobTree;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Jobs.ServiceDefaults;

/// <summary>
/// With quorum queues, sends go to a queue's exchange (<see cref="IntegrationQueues.SendThroughExchanges"/>): before the bus starts,
/// this declares each <see cref="IntegrationQueues.WellKnown"/> queue (quorum), its exchange and their binding, exactly as its
/// consumer's endpoint declares them, so a message sent before that consumer has ever started waits in its queue.
/// </summary>
public sealed class WellKnownQueues(IOptions<RabbitMqOptions> options, IOptions<ConnectionOptions> connections, ILogger<WellKnownQueues> logger)
    : IBusObserver
{
    public async Task PreStart(IBus bus)
    {
        if (options.Value.QueueType != RabbitMqQueueType.Quorum) return;
        await StartupRetry.RunAsync(async cancellationToken =>
        {
            await using var connection = await RabbitMqConnections.OpenAsync(connections.Value, "well-known queues", cancellationToken);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            foreach (var queue in IntegrationQueues.WellKnown)
            {
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                    arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
                await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellationToken);
            }
        }, "RabbitMQ (declaring the well-known quorum queues)", logger, CancellationToken.None, attempts: 60);
    }

    public void PostCreate(IBus bus)
    {
    }

    public void CreateFaulted(Exception exception)
    {
    }

    public Task PostStart(IBus bus, Task<BusReady> busReady) => Task.CompletedTask;

    public Task StartFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    public Task PreStop(IBus bus) => Task.CompletedTask;

    public Task PostStop(IBus bus) => Task.CompletedTask;

    public Task StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;
}

/// <summary>Connections of RabbitMQ's own client (besides MassTransit's), to any live node <c>RABBITMQ_URL</c> names.</summary>
public static class RabbitMqConnections
{
    public static Task<IConnection> OpenAsync(ConnectionOptions connections, string purpose, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = connections.RabbitMqUri,
            ClientProvidedName = $"{AppDomain.CurrentDomain.FriendlyName} {purpose}",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
        var nodes = connections.RabbitMqNodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port, factory.Ssl)).ToList();
        return factory.CreateConnectionAsync(nodes, cancellationToken);
    }
}
