using Jobs.ServiceDefaults;
using Jobs.TestSupport;

namespace Jobs.Faults.Tests;

/// <summary>
/// The five services on the three-node loopback cluster of <c>infra/cluster.sh</c> with quorum queues: <c>make test-cluster</c>
/// (and <c>make test</c>) start it and point <c>RABBITMQ_URL</c> at its three nodes and <c>RABBITMQ_CLUSTER_MANAGEMENT_URLS</c> at
/// their management APIs.
/// </summary>
public sealed class ClusterFixture : FaultSystem
{
    public const string ManagementUrlsKey = "RABBITMQ_CLUSTER_MANAGEMENT_URLS";

    /// <summary>The management API of each node, node 1 first.</summary>
    public IReadOnlyList<Uri> NodeManagement { get; } =
        (Environment.GetEnvironmentVariable(ManagementUrlsKey) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u)).ToList();

    protected override Task<ServiceSystem> StartAsync()
    {
        var nodes = Connections.RabbitMq(Environment.GetEnvironmentVariable(Connections.RabbitMqKey) ?? "amqp://localhost/").Nodes;
        if (nodes.Count < 3 || NodeManagement.Count != nodes.Count)
            throw new InvalidOperationException(
                $"The cluster tests need the three-node cluster: run `make test-cluster`, or `bash infra/cluster.sh up` and export what " +
                $"`bash infra/cluster.sh env` prints ({Connections.RabbitMqKey} names {nodes.Count} node(s), {ManagementUrlsKey} {NodeManagement.Count}).");
        return ServiceSystem.StartAsync("cluster", new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["RabbitMq__QueueType"] = nameof(RabbitMqQueueType.Quorum),
        });
    }

    /// <summary>The management API of the first node that answers (any node reports the whole cluster).</summary>
    public override async Task<HttpClient> ManagementAsync()
    {
        var broker = await Infrastructure.RabbitMqAsync();
        foreach (var node in NodeManagement)
        {
            var client = Infrastructure.Management(broker, node);
            client.Timeout = TimeSpan.FromSeconds(5);
            try
            {
                if ((await client.GetAsync("api/overview")).IsSuccessStatusCode) return client;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            client.Dispose();
        }

        throw new HttpRequestException("no node of the cluster answers on its management API");
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
