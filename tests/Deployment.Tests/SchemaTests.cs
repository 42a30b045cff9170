using System.Text.Json.Nodes;

namespace Jobs.Deployment.Tests;

/// <summary>Every rendered object against the JSON schema of its kind, and the proof that the validator refuses what it must.</summary>
public sealed class SchemaTests
{
    /// <summary>
    /// The kinds no package this machine can install holds a schema for (npm has models for Kubernetes and KEDA, none for
    /// these operators; their CRDs are published in the operators' repositories only), with what checks them instead.
    /// </summary>
    public static readonly Dictionary<string, string> WithoutSchema = new()
    {
        ["rabbitmq.com/v1beta1 RabbitmqCluster"] = "OperatorObjectTests",
        ["postgresql.cnpg.io/v1 Cluster"] = "OperatorObjectTests",
        ["databases.spotahome.com/v1 RedisFailover"] = "OperatorObjectTests",
    };

    private static string KindOf(JsonObject o) => $"{o["apiVersion"]?.GetValue<string>()} {Kustomize.Kind(o)}";

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_object_passes_the_schema_of_its_kind_with_no_unknown_field(string render)
    {
        var problems = Manifests.Render(render)
            .Where(o => !WithoutSchema.ContainsKey(KindOf(o)))
            .SelectMany(o => SchemaValidator.Problems(o).Select(p => $"{Kustomize.Kind(o)} {Kustomize.Name(o)}: {p}"))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Only_the_operators_kinds_go_without_a_vendored_schema(string render)
    {
        var without = Manifests.Render(render).Where(o => !SchemaValidator.HasSchema(o)).Select(KindOf).ToHashSet();
        Assert.Equal(WithoutSchema.Keys.Order(StringComparer.Ordinal), without.Order(StringComparer.Ordinal));
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

    [Fact]
    public void Every_vendored_schema_is_listed_with_its_source_and_licence()
    {
        var readme = File.ReadAllText(Path.Combine(SchemaValidator.Folder, "README.md"));
        foreach (var file in Directory.EnumerateFiles(SchemaValidator.Folder, "*.json"))
            Assert.Contains(Path.GetFileName(file), readme, StringComparison.Ordinal);
        foreach (var licence in new[] { "LICENSE.kubernetes-models", "LICENSE.kubernetes-models-apimachinery", "LICENSE.kubernetes-models-keda" })
        {
            Assert.True(File.Exists(Path.Combine(SchemaValidator.Folder, licence)), licence);
            Assert.Contains(licence, readme, StringComparison.Ordinal);
        }
    }
}
