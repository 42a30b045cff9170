using System.Text.Json.Nodes;
using Jobs.ServiceDefaults;

namespace Jobs.Deployment.Tests;

/// <summary>
/// Every setting a service reads and that cannot keep its default in a cluster is set in its Deployment. The list comes
/// from the code: the root keys <see cref="ConnectionOptions"/> binds, and each service's appsettings.json, whose
/// loopback addresses and empty values must be overridden unless empty means something (<see cref="OptionalWhenEmpty"/>).
/// </summary>
public sealed class SettingsTests
{
    /// <summary>appsettings.json keys left empty on purpose in the cluster, with what empty means.</summary>
    internal static readonly Dictionary<string, string> OptionalWhenEmpty = new()
    {
        ["Seq:ServerUrl"] = "no Seq: logs go to the console, which the cluster collects",
        ["Catalogue:VendorDirectory"] = "only the vendors shipped with the catalogue plugin",
        ["Movies:CacheDirectory"] = "the download cache jobs-movies under the temporary folder",
        ["Integrations:Http:Outbound:AllowedHosts"] = "only public addresses are reached",
        ["Integrations:Http:Outbound:AllowedNetworks"] = "no private range admitted",
        ["Integrations:Http:Hosts"] = "no per-host rules",
        ["Schedules:5:Settings"] = "the preaggregates-metadata schedule takes no settings",
        ["Preaggregates:Sources"] = "no preaggregates source configured (a deployment adds its own)",
        ["Storage:Targets"] = "no named storage target: jobs land in the platforms' own tables (a deployment adds its own)",
        ["Storage:AllowedDirectories"] = "no job may write csv or jsonl files",
        ["Storage:AllowedHosts"] = "no job may name a database host of its own, only configured targets",
        ["Rest:Sources"] = "no named rest source: jobs give their url, auth and fields (a deployment adds its vendors)",
        ["Rest:Credentials"] = "no credential kept in the service: jobs give their own secrets (a deployment adds its own from a Secret)",
    };

    /// <summary>Reporting's administrator key (services/Reporting/Security/SecurityOptions.cs, section Security).</summary>
    internal const string AdminKey = "Security__AdminKey";

    [Fact]
    public void The_connection_keys_come_from_ConnectionOptions() =>
        Assert.Superset(new HashSet<string> { Connections.RabbitMqKey, Connections.RedisKey, Connections.PostgresKey, Connections.RabbitMqManagementKey, "Urls" },
            Services.ConnectionKeys().ToHashSet());

    /// <summary>
    /// The list above covers every loopback default only while <see cref="ConnectionOptions"/> is the one class whose code
    /// defaults name one (any other option's loopback value would be in appsettings.json, which the list reads).
    /// </summary>
    [Fact]
    public void No_code_but_ConnectionOptions_defaults_to_a_loopback_address()
    {
        var found = new[] { "services", "shared", "plugins" }
            .SelectMany(f => Directory.EnumerateFiles(Path.Combine(Manifests.Root, f), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal) && Services.Loopback().IsMatch(l))
                .Select(l => $"{Path.GetRelativePath(Manifests.Root, f)}: {l.Trim()}"))
            .Where(l => !l.StartsWith(Path.Combine("shared", "ServiceDefaults", "Connections.cs"), StringComparison.Ordinal))
            .ToList();
        Assert.True(found.Count == 0, "loopback defaults outside ConnectionOptions (set them in infra/k8s too):\n" + string.Join("\n", found));
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_setting_a_service_reads_is_set_in_its_deployment(string render)
    {
        var objects = Manifests.Render(render);
        var missing = new List<string>();
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var service = Services.Of(deployment).Service;
            var env = Manifests.Environment(objects, Manifests.Container(deployment));
            foreach (var (key, list) in Services.Reads(service, OptionalWhenEmpty.Keys.ToHashSet()))
            {
                var name = Services.EnvironmentName(key);
                var set = list
                    ? env.Keys.Any(k => k.StartsWith(name + "__", StringComparison.Ordinal))
                    : env.TryGetValue(name, out var setting) && (setting.Value is { Length: > 0 } || setting.Source.StartsWith("Secret", StringComparison.Ordinal));
                if (!set) missing.Add($"{Kustomize.Name(deployment)} ({service}): {name}{(list ? "__0" : "")}");
            }
        }

        Assert.True(missing.Count == 0, "not set:\n" + string.Join("\n", missing));
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Credentials_come_from_secrets_never_from_the_config_map(string render)
    {
        var objects = Manifests.Render(render);
        var credentials = new[] { Connections.RabbitMqKey, Connections.RedisKey, Connections.PostgresKey, AdminKey };
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var env = Manifests.Environment(objects, Manifests.Container(deployment));
            foreach (var key in credentials.Where(env.ContainsKey))
                Assert.True(env[key].Source.StartsWith("Secret ", StringComparison.Ordinal), $"{Kustomize.Name(deployment)}: {key} comes from {env[key].Source}");
        }

    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Only_Reporting_gets_the_administrator_key(string render)
    {
        var objects = Manifests.Render(render);
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var has = Manifests.Environment(objects, Manifests.Container(deployment)).ContainsKey(AdminKey);
            Assert.True(has == (Services.Of(deployment).Service == "Reporting"), $"{Kustomize.Name(deployment)}: administrator key {(has ? "given" : "missing")}");
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_service_declares_quorum_queues(string render)
    {
        var objects = Manifests.Render(render);
        var key = Services.EnvironmentName($"{RabbitMqOptions.Section}:{nameof(RabbitMqOptions.QueueType)}");
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var env = Manifests.Environment(objects, Manifests.Container(deployment));
            Assert.True(env.TryGetValue(key, out var setting), $"{Kustomize.Name(deployment)}: {key} is not set");
            Assert.Equal(nameof(RabbitMqQueueType.Quorum), setting.Value);
            Assert.True(Enum.TryParse<RabbitMqQueueType>(setting.Value, out _));
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void The_addresses_parse_as_the_services_parse_them(string render)
    {
        var objects = Manifests.Render(render);
        foreach (var deployment in objects.OfKind("Deployment"))
        {
            var env = Manifests.Environment(objects, Manifests.Container(deployment));
            var rabbit = env[Connections.RabbitMqKey].Value!;
            Assert.Null(Connections.RabbitMqProblem(rabbit));
            Assert.Equal(3, Connections.RabbitMq(rabbit).Nodes.Count);
            var redis = Connections.RedisOptions(env[Connections.RedisKey].Value);
            Assert.Equal("mymaster", redis.ServiceName);
            Assert.True(Uri.TryCreate(env[Connections.RabbitMqManagementKey].Value, UriKind.Absolute, out _));
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_secret_and_config_map_a_container_names_is_rendered_or_written_by_an_operator(string render)
    {
        var objects = Manifests.Render(render);
        var secrets = objects.OfKind("Secret").Select(Kustomize.Name).Concat(Manifests.OperatorSecrets(objects)).ToHashSet();
        var maps = objects.OfKind("ConfigMap").Select(Kustomize.Name).ToHashSet();
        foreach (var container in objects.OfKind("Deployment").SelectMany(Kustomize.PodContainers))
        {
            foreach (var env in container["env"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (env["valueFrom"]?["secretKeyRef"]?["name"]?.GetValue<string>() is { } secret) Assert.Contains(secret, secrets);
                if (env["valueFrom"]?["configMapKeyRef"]?["name"]?.GetValue<string>() is { } map) Assert.Contains(map, maps);
            }

            foreach (var from in container["envFrom"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (from["secretRef"]?["name"]?.GetValue<string>() is { } secret) Assert.Contains(secret, secrets);
                if (from["configMapRef"]?["name"]?.GetValue<string>() is { } map) Assert.Contains(map, maps);
            }
        }
    }
}
