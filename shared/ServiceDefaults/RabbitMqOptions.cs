using MassTransit;

namespace Jobs.ServiceDefaults;

/// <summary>The queue type every service declares its endpoint queues with.</summary>
public enum RabbitMqQueueType
{
    /// <summary>Classic queues on one node: the default, for one broker.</summary>
    Classic,

    /// <summary>Quorum queues (Raft-replicated on a cluster's nodes): a node's loss loses no message.</summary>
    Quorum,
}

/// <summary>How the services use RabbitMQ (section <c>RabbitMq</c>), besides its address (<c>RABBITMQ_URL</c>).</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    /// <summary>
    /// <c>Classic</c> (default) or <c>Quorum</c>: every durable endpoint queue (the saga's, the ledger's, the integrations', the
    /// Auditor's, the Scheduler's) is declared with this type, and so are their <c>_error</c> and <c>_skipped</c> queues (MassTransit
    /// declares those with their endpoint's arguments). Temporary per-process queues stay classic: a quorum queue cannot be
    /// exclusive or deleted with its connection. A queue that exists with the other type is refused by the broker
    /// (PRECONDITION_FAILED): switching type means deleting the queues first, once they are drained.
    /// </summary>
    public RabbitMqQueueType QueueType { get; set; } = RabbitMqQueueType.Classic;

    /// <summary>Declares <paramref name="endpoint"/>'s queue with <see cref="QueueType"/> (nothing for a temporary endpoint).</summary>
    public void Apply(IReceiveEndpointConfigurator endpoint)
    {
        if (QueueType != RabbitMqQueueType.Quorum || endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit) return;
        // The configurator's settings say what MassTransit made of the endpoint (a temporary one is auto-delete, not durable).
        if (endpoint is MassTransit.RabbitMqTransport.Configuration.IRabbitMqReceiveEndpointConfiguration { Settings: { AutoDelete: true } or { Durable: false } })
            return;
        rabbit.SetQuorumQueue();
    }
}
