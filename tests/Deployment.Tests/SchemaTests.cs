using System.Text.Json.Nodes;

namespace Jobs.Deployment.Tests;

/// <summary>Every rendered object against the JSON schema of its kind, and the proof that the validator refuses what it must.</summary>
public sealed class SchemaTests
{
    private static string KindOf(JsonObject o) => $"{o["apiVersion"]?.GetValue<string>()} {Kustomize.Kind(o)}";

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_object_passes_the_schema_of_its_kind_with_no_unknown_field(string render)
    {
        var problems = Manifests.Render(render)
            .SelectMany(o => SchemaValidator.Problems(o).Select(p => $"{Kustomize.Kind(o)} {Kustomize.Name(o)}: {p}"))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_kind_rendered_has_a_vendored_schema(string render)
    {
        var without = Manifests.Render(render).Where(o => !SchemaValidator.HasSchema(o)).Select(KindOf).Distinct().ToList();
        Assert.True(without.Count == 0, $"no schema vendored for: {string.Join(", ", without)}");
    }

    [Theory]
    [InlineData("rabbitmq.com/v1beta1", "RabbitmqCluster")]
    [InlineData("postgresql.cnpg.io/v1", "Cluster")]
    [InlineData("databases.spotahome.com/v1", "RedisFailover")]
    public void The_operator_objects_the_negative_cases_start_from_are_valid_against_their_CRDs(string apiVersion, string kind)
    {
        var o = Assert.Single(Manifests.Base, x => x["apiVersion"]?.GetValue<string>() == apiVersion && Kustomize.Kind(x) == kind);
        Assert.True(SchemaValidator.HasSchema(o));
        Assert.Empty(SchemaValidator.Problems(o));
    }

    private static JsonObject Reporting() => (JsonObject)Manifests.Base.Named("Deployment", "reporting").DeepClone();

    [Fact]
    public void The_reporting_deployment_the_negative_cases_start_from_is_valid() =>
        Assert.Empty(SchemaValidator.Problems(Reporting()));

    [Fact]
    public void An_unknown_field_in_a_container_is_refused()
    {
        var deployment = Reporting();
        Manifests.Container(deployment)["imagePullPolicyy"] = "Always";
        Assert.Contains(SchemaValidator.Problems(deployment), p => p.Contains("/spec/template/spec/containers/0/imagePullPolicyy", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_a_probe_is_refused()
    {
        var deployment = Reporting();
        Manifests.Container(deployment)["readinessProbe"]!["httpGet"]!["paht"] = "/health/ready";
        Assert.Contains(SchemaValidator.Problems(deployment), p => p.Contains("unknown field 'paht'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_top_level_field_is_refused()
    {
        var deployment = Reporting();
        deployment["specification"] = new JsonObject();
        Assert.Contains(SchemaValidator.Problems(deployment), p => p.Contains("unknown field 'specification'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_string_where_the_schema_wants_an_integer_is_refused()
    {
        var deployment = Reporting();
        deployment["spec"]!["replicas"] = "two";
        Assert.Contains(SchemaValidator.Problems(deployment), p => p.StartsWith("/spec/replicas", StringComparison.Ordinal));
    }

    [Fact]
    public void A_port_that_is_neither_a_number_nor_a_name_is_refused()
    {
        var deployment = Reporting();
        Manifests.Container(deployment)["livenessProbe"]!["httpGet"]!["port"] = new JsonObject { ["number"] = 5080 };
        Assert.NotEmpty(SchemaValidator.Problems(deployment));
    }

    [Fact]
    public void A_boolean_where_the_schema_wants_a_number_or_a_string_is_refused()
    {
        var pdb = (JsonObject)Manifests.Base.Named("PodDisruptionBudget", "reporting").DeepClone();
        pdb["spec"]!["maxUnavailable"] = true;
        Assert.NotEmpty(SchemaValidator.Problems(pdb));
    }

    [Fact]
    public void An_unknown_field_in_a_ScaledObject_trigger_is_refused()
    {
        var scaled = (JsonObject)Manifests.Base.Named("ScaledObject", "integrations-synthetic").DeepClone();
        scaled["spec"]!["triggers"]![0]!["queue"] = "integration-synthetic";
        Assert.Contains(SchemaValidator.Problems(scaled), p => p.Contains("/spec/triggers/0/queue", StringComparison.Ordinal));
    }

    [Fact]
    public void A_ScaledObject_without_the_required_target_name_is_refused()
    {
        var scaled = (JsonObject)Manifests.Base.Named("ScaledObject", "integrations-synthetic").DeepClone();
        scaled["spec"]!["scaleTargetRef"]!.AsObject().Remove("name");
        Assert.NotEmpty(SchemaValidator.Problems(scaled));
    }

    [Fact]
    public void A_trigger_metadata_value_that_is_not_a_string_is_refused()
    {
        var scaled = (JsonObject)Manifests.Base.Named("ScaledObject", "integrations-synthetic").DeepClone();
        scaled["spec"]!["triggers"]![0]!["metadata"]!["value"] = 32;
        Assert.NotEmpty(SchemaValidator.Problems(scaled));
    }

    [Fact]
    public void Free_form_maps_take_any_key()
    {
        var deployment = Reporting();
        deployment["metadata"]!["labels"]!["anything.example/at-all"] = "yes";
        deployment["metadata"]!["annotations"] = new JsonObject { ["whatever"] = "x" };
        Assert.Empty(SchemaValidator.Problems(deployment));
    }

    [Fact]
    public void A_kind_without_a_vendored_schema_is_refused()
    {
        var o = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Unknown", ["metadata"] = new JsonObject { ["name"] = "x" } };
        Assert.Contains(SchemaValidator.Problems(o), p => p.Contains("no schema vendored", StringComparison.Ordinal));
    }

    private static JsonObject RabbitMq() => (JsonObject)Manifests.Base.Named("RabbitmqCluster", "jobs-rabbitmq").DeepClone();

    private static JsonObject Postgres() => (JsonObject)Manifests.Base.Named("Cluster", "jobs-postgres").DeepClone();

    private static JsonObject Redis() => (JsonObject)Manifests.Base.Named("RedisFailover", "jobs-redis").DeepClone();

    [Fact]
    public void An_unknown_field_in_a_RabbitmqCluster_spec_is_refused()
    {
        var cluster = RabbitMq();
        cluster["spec"]!["replica"] = 3;
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.Contains("unknown field 'replica'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_RabbitmqCluster_plugin_list_is_refused()
    {
        var cluster = RabbitMq();
        cluster["spec"]!["rabbitmq"]!["additionalPlugin"] = new JsonArray("rabbitmq_shovel");
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.Contains("/spec/rabbitmq/additionalPlugin", StringComparison.Ordinal));
    }

    [Fact]
    public void A_RabbitMQ_plugin_name_the_CRD_pattern_refuses_is_refused()
    {
        var cluster = RabbitMq();
        cluster["spec"]!["rabbitmq"]!["additionalPlugins"]!.AsArray().Add("rabbitmq-shovel");
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.StartsWith("/spec/rabbitmq/additionalPlugins/2", StringComparison.Ordinal));
    }

    [Fact]
    public void A_RabbitmqCluster_storage_size_takes_an_integer_or_a_quantity_string_but_not_a_boolean()
    {
        var cluster = RabbitMq();
        cluster["spec"]!["persistence"]!["storage"] = 21474836480;
        Assert.Empty(SchemaValidator.Problems(cluster));
        cluster["spec"]!["persistence"]!["storage"] = "20Gi";
        Assert.Empty(SchemaValidator.Problems(cluster));
        cluster["spec"]!["persistence"]!["storage"] = true;
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.StartsWith("/spec/persistence/storage", StringComparison.Ordinal));
    }

    [Fact]
    public void A_CloudNativePG_Cluster_with_instances_as_a_word_is_refused()
    {
        var cluster = Postgres();
        cluster["spec"]!["instances"] = "three";
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.StartsWith("/spec/instances", StringComparison.Ordinal));
    }

    [Fact]
    public void A_CloudNativePG_Cluster_with_no_instance_is_refused()
    {
        var cluster = Postgres();
        cluster["spec"]!["instances"] = 0;
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.StartsWith("/spec/instances", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_a_CloudNativePG_initdb_bootstrap_is_refused()
    {
        var cluster = Postgres();
        cluster["spec"]!["bootstrap"]!["initdb"]!["databse"] = "jobs";
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.Contains("unknown field 'databse'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_a_RedisFailover_sentinel_is_refused()
    {
        var failover = Redis();
        failover["spec"]!["sentinel"]!["customConfg"] = new JsonArray("down-after-milliseconds 5000");
        Assert.Contains(SchemaValidator.Problems(failover), p => p.Contains("unknown field 'customConfg'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_RedisFailover_replica_count_as_a_string_is_refused()
    {
        var failover = Redis();
        failover["spec"]!["redis"]!["replicas"] = "3";
        Assert.Contains(SchemaValidator.Problems(failover), p => p.StartsWith("/spec/redis/replicas", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_the_RedisFailover_volume_claim_is_refused()
    {
        var failover = Redis();
        failover["spec"]!["redis"]!["storage"]!["persistentVolumeClaim"]!["spec"]!["storageClass"] = "fast";
        Assert.Contains(SchemaValidator.Problems(failover), p => p.Contains("unknown field 'storageClass'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_an_operator_objects_metadata_is_refused()
    {
        var failover = Redis();
        failover["metadata"]!["label"] = new JsonObject { ["app"] = "redis" };
        Assert.Contains(SchemaValidator.Problems(failover), p => p.Contains("unknown field 'label'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_operator_object_of_another_kind_or_version_is_refused()
    {
        var cluster = RabbitMq();
        cluster["kind"] = "RabbitMQCluster";
        Assert.Contains(SchemaValidator.Problems(cluster), p => p.Contains("no schema vendored for rabbitmq.com.v1beta1.RabbitMQCluster", StringComparison.Ordinal));
    }

    /// <summary>The vendored CRDs and the JSON made of them (extract.js): the version the manifests use, with its file.</summary>
    public static TheoryData<string, string, string> Crds => new()
    {
        { "rabbitmq.com_rabbitmqclusters.yaml", "v1beta1", "rabbitmq.com.v1beta1.RabbitmqCluster" },
        { "postgresql.cnpg.io_clusters.yaml", "v1", "postgresql.cnpg.io.v1.Cluster" },
        { "databases.spotahome.com_redisfailovers.yaml", "v1", "databases.spotahome.com.v1.RedisFailover" },
    };

    [Theory]
    [MemberData(nameof(Crds))]
    public void An_operator_schema_has_every_field_of_its_vendored_CRD_and_no_other(string crd, string version, string id)
    {
        var definition = (JsonObject)Yaml.Documents(File.ReadAllText(Path.Combine(SchemaValidator.Folder, "crds", crd)))
            .Single(d => d?["kind"]?.GetValue<string>() == "CustomResourceDefinition")!;
        var served = definition["spec"]!["versions"]!.AsArray().Single(v => v!["name"].Str() == version)!;
        var schema = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(SchemaValidator.Folder, $"{id}.json")))!["$defs"]![id]!;
        Assert.Equal(Fields(served["schema"]!["openAPIV3Schema"]!.AsObject(), ""), Fields(schema, ""));
    }

    /// <summary>Every field path a schema names, with its type (the root metadata, ObjectMeta in the JSON, as a leaf).</summary>
    private static SortedSet<string> Fields(JsonObject schema, string at)
    {
        var fields = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, child) in schema["properties"]?.AsObject() ?? [])
        {
            var path = $"{at}/{name}";
            if (path == "/metadata")
            {
                fields.Add(path);
                continue;
            }
            fields.Add($"{path}:{child?["type"]?.ToJsonString() ?? "-"}");
            fields.UnionWith(Fields(child!.AsObject(), path));
        }
        if (schema["items"] is JsonObject items) fields.UnionWith(Fields(items, $"{at}[]"));
        if (schema["additionalProperties"] is JsonObject values) fields.UnionWith(Fields(values, $"{at}/*"));
        return fields;
    }

    [Fact]
    public void Every_vendored_schema_is_listed_with_its_source_and_licence()
    {
        var readme = File.ReadAllText(Path.Combine(SchemaValidator.Folder, "README.md"));
        foreach (var file in Directory.EnumerateFiles(SchemaValidator.Folder, "*.json")
                     .Concat(Directory.EnumerateFiles(Path.Combine(SchemaValidator.Folder, "crds"))))
            Assert.Contains(Path.GetFileName(file), readme, StringComparison.Ordinal);
        foreach (var licence in new[]
                 {
                     "LICENSE.kubernetes-models", "LICENSE.kubernetes-models-apimachinery", "LICENSE.kubernetes-models-keda",
                     "LICENSE.rabbitmq-cluster-operator", "LICENSE.cloudnative-pg", "LICENSE.spotahome-redis-operator",
                 })
        {
            Assert.True(File.Exists(Path.Combine(SchemaValidator.Folder, licence)), licence);
            Assert.Contains(licence, readme, StringComparison.Ordinal);
        }
    }
}
