using System.Text.Json.Nodes;
using Jobs.ServiceDefaults;

namespace Jobs.Deployment.Tests;

/// <summary>
/// The servers' objects (their shape is checked against the operators' CRDs by <see cref="SchemaTests"/>): what the
/// services need of them, and that the addresses the services are given name what the operators make of them.
/// </summary>
public sealed class OperatorObjectTests
{
    /// <summary>The one object of an operator's kind in the render, checked to be of the operator's API version, and its spec.</summary>
    private static (JsonObject Object, JsonObject Spec) Operated(IReadOnlyList<JsonObject> objects, string apiVersion, string kind)
    {
        var o = Assert.Single(objects.OfKind(kind));
        Assert.Equal(apiVersion, o["apiVersion"].Str());
        return (o, (JsonObject)o["spec"]!);
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void RabbitMQ_is_a_three_node_cluster_with_management_and_prometheus_that_RABBITMQ_URL_names_node_by_node(string render)
    {
        var objects = Manifests.Render(render);
        var (cluster, spec) = Operated(objects, "rabbitmq.com/v1beta1", "RabbitmqCluster");
        Assert.Equal(3, spec["replicas"]!.GetValue<long>());
        var plugins = spec["rabbitmq"]!["additionalPlugins"]!.AsArray().Select(p => p.Str()).ToList();
        Assert.Contains("rabbitmq_management", plugins);
        Assert.Contains("rabbitmq_prometheus", plugins);

        var name = Kustomize.Name(cluster);
        var secrets = Manifests.Data(objects, "Secret", "jobs-secrets")!;
        var nodes = Connections.RabbitMq(secrets[Connections.RabbitMqKey]).Nodes;
        // The operator's StatefulSet pods <name>-server-N behind the headless Service <name>-nodes.
        Assert.Equal(Enumerable.Range(0, 3).Select(i => new RabbitMqNode($"{name}-server-{i}.{name}-nodes", 5672)), nodes);
        var keda = Assert.Single(objects.OfKind("TriggerAuthentication"))["spec"]!["secretTargetRef"]![0]!;
        Assert.Equal(name, Connections.RabbitMq(Manifests.Data(objects, "Secret", keda["name"].Str())![keda["key"].Str()]).Uri.Host);
        Assert.Equal(name, new Uri(Manifests.Data(objects, "ConfigMap", "jobs-config")![Connections.RabbitMqManagementKey]).Host);
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void PostgreSQL_is_a_CloudNativePG_cluster_whose_app_secret_gives_POSTGRES_URL(string render)
    {
        var objects = Manifests.Render(render);
        var (cluster, spec) = Operated(objects, "postgresql.cnpg.io/v1", "Cluster");
        Assert.True(spec["instances"]!.GetValue<long>() >= 2, "a primary and at least one replica");
        Assert.Equal("jobs", spec["bootstrap"]!["initdb"]!["database"].Str());
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var postgres = Manifests.Container(deployment)["env"]!.AsArray().Single(e => e!["name"].Str() == Connections.PostgresKey)!;
            Assert.Equal(($"{Kustomize.Name(cluster)}-app", "uri"), (postgres["valueFrom"]!["secretKeyRef"]!["name"].Str(), postgres["valueFrom"]!["secretKeyRef"]!["key"].Str()));
        }

        // The operator's uri is a postgresql:// URL, which the services accept.
        Assert.Contains("Database=jobs", Connections.PostgresConnectionString("postgresql://jobs:secret@jobs-postgres-rw:5432/jobs"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Redis_is_a_RedisFailover_with_three_sentinels_that_REDIS_URL_names(string render)
    {
        var objects = Manifests.Render(render);
        var (failover, spec) = Operated(objects, "databases.spotahome.com/v1", "RedisFailover");
        Assert.Equal(3, spec["sentinel"]!["replicas"]!.GetValue<long>());
        Assert.True(spec["redis"]!["replicas"]!.GetValue<long>() >= 2, "a primary and at least one replica");
        Assert.Contains("appendonly yes", spec["redis"]!["customConfig"]!.AsArray().Select(c => c.Str()));

        var redis = Connections.RedisOptions(Manifests.Data(objects, "Secret", "jobs-secrets")![Connections.RedisKey]);
        // Spotahome's Sentinel Service is rfs-<name> on 26379, its master name mymaster.
        Assert.Equal($"Unspecified/rfs-{Kustomize.Name(failover)}:26379", Assert.Single(redis.EndPoints).ToString());
        Assert.Equal("mymaster", redis.ServiceName);
        var auth = Manifests.Data(objects, "Secret", spec["auth"]!["secretPath"].Str())!;
        Assert.Equal(auth["password"], redis.Password);
    }
}
