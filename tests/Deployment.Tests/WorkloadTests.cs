using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Jobs.ServiceDefaults;

namespace Jobs.Deployment.Tests;

/// <summary>The Deployments against the services they run: images, ports, probes, resources, disruption budgets, exposure and scaling.</summary>
public sealed partial class WorkloadTests
{
    [GeneratedRegex(@":(\d+)/?$")]
    private static partial Regex Port();

    private static int UrlPort(string urls) => int.Parse(Port().Match(urls.Split(';')[0]).Groups[1].Value, CultureInfo.InvariantCulture);

    private static IEnumerable<JsonObject> Deployments(string render) => Manifests.Render(render).OfKind("Deployment");

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_name_is_a_DNS_label_the_API_server_accepts(string render)
    {
        var names = Manifests.Render(render).Select(Kustomize.Name)
            .Concat(Manifests.Render(render).OfKind("Deployment").SelectMany(Kustomize.PodContainers).Select(c => c["name"].Str()));
        Assert.All(names, n => Assert.True(n.Length <= 63 && DnsLabel().IsMatch(n), $"'{n}' is not a DNS-1123 label"));
        var ports = Manifests.Render(render).OfKind("Deployment").SelectMany(Kustomize.PodContainers)
            .SelectMany(c => c["ports"]!.AsArray()).Select(p => p!["name"].Str());
        Assert.All(ports, p => Assert.True(p.Length <= 15 && DnsLabel().IsMatch(p), $"port name '{p}' is not an IANA service name"));
    }

    [Fact]
    public void Every_service_docker_compose_builds_from_the_Dockerfile_is_deployed()
    {
        var images = Services.Images();
        Assert.Equal(["Auditor", "Integrations", "Integrator", "Reporting", "Scheduler"], images.Select(i => i.Service).Order(StringComparer.Ordinal));
        var deployed = Manifests.Base.OfKind("Deployment").Select(Services.Of).Select(i => i.Service).ToHashSet();
        Assert.Equal(images.Select(i => i.Service).ToHashSet(), deployed);
    }

    [Fact]
    public void The_images_are_the_Dockerfiles_runtime_target_for_each_service()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Manifests.Root, Services.Dockerfile));
        var stages = Regex.Matches(dockerfile, @"^FROM\s+\S+\s+AS\s+(\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal("runtime", stages[^1]);
        Assert.Contains("exec dotnet /app/${SERVICE}.dll", dockerfile, StringComparison.Ordinal);
        foreach (var deployment in Manifests.Base.OfKind("Deployment"))
        {
            var image = Services.Of(deployment);
            Assert.Equal($"{image.Repository}:{image.Tag}", Manifests.Container(deployment)["image"].Str());
            Assert.True(File.Exists(Path.Combine(Manifests.Root, "services", image.Service, $"{image.Service}.csproj")), image.Service);
        }

        foreach (var deployment in Manifests.Overlay.OfKind("Deployment"))
            Assert.StartsWith($"registry.example.com/{Services.Of(deployment).Repository}:", Manifests.Container(deployment)["image"].Str(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Probes_are_the_health_endpoints_on_the_port_the_service_listens_on(string render)
    {
        var objects = Manifests.Render(render);
        var mapped = Services.HealthPaths();
        Assert.Equal(["/health/live", "/health/ready"], mapped.Order(StringComparer.Ordinal));
        foreach (var deployment in Deployments(render))
        {
            var name = Kustomize.Name(deployment);
            var container = Manifests.Container(deployment);
            var service = Services.Of(deployment).Service;
            var ports = container["ports"]!.AsArray().OfType<JsonObject>().ToDictionary(p => p["name"].Str(), p => p["containerPort"]!.GetValue<long>());
            var listens = UrlPort(Manifests.Environment(objects, container)["Urls"].Value!);
            Assert.Equal(UrlPort(Services.AppSettings(service)["Urls"].Str()), listens);
            foreach (var (probe, path) in new[] { ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready"), ("startupProbe", "/health/live") })
            {
                var get = container[probe]?["httpGet"] ?? throw new InvalidOperationException($"{name} has no {probe}");
                Assert.Equal(path, get["path"].Str());
                Assert.Contains(path, mapped);
                var port = get["port"] is JsonValue v && v.TryGetValue<string>(out var named) ? ports[named] : get["port"]!.GetValue<long>();
                Assert.Equal(listens, port);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Memory_requests_cover_the_peak_RSS_make_bench_measured(string render)
    {
        var peaks = Services.PeakRssMegabytes();
        Assert.Equal(5, peaks.Count);
        foreach (var deployment in Deployments(render))
        {
            var resources = Manifests.Container(deployment)["resources"]!;
            var peak = peaks[Services.Of(deployment).Service];
            var request = Mebibytes(resources["requests"]!["memory"].Str());
            var limit = Mebibytes(resources["limits"]!["memory"].Str());
            Assert.True(request >= peak, $"{Kustomize.Name(deployment)}: request {request} Mi below the measured peak {peak} MB");
            Assert.True(limit >= 1.5 * peak, $"{Kustomize.Name(deployment)}: limit {limit} Mi leaves less than half the measured peak {peak} MB of headroom");
            Assert.NotNull(resources["requests"]!["cpu"]);
            Assert.NotNull(resources["limits"]!["cpu"]);
        }
    }

    private static double Mebibytes(string quantity) => quantity switch
    {
        _ when quantity.EndsWith("Mi", StringComparison.Ordinal) => double.Parse(quantity[..^2], CultureInfo.InvariantCulture),
        _ when quantity.EndsWith("Gi", StringComparison.Ordinal) => double.Parse(quantity[..^2], CultureInfo.InvariantCulture) * 1024,
        _ => throw new FormatException($"memory quantity {quantity}: write it in Mi or Gi"),
    };

    private static bool Selects(JsonObject? selector, JsonObject? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(s => labels[s.Key]?.ToJsonString() == s.Value?.ToJsonString());

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Every_deployment_has_a_disruption_budget_that_selects_only_its_pods(string render)
    {
        var deployments = Deployments(render).ToList();
        var budgets = Manifests.Render(render).OfKind("PodDisruptionBudget").ToList();
        foreach (var deployment in deployments)
        {
            var selector = (JsonObject)deployment["spec"]!["selector"]!["matchLabels"]!;
            var pods = (JsonObject)deployment["spec"]!["template"]!["metadata"]!["labels"]!;
            Assert.True(Selects(selector, pods), $"{Kustomize.Name(deployment)}'s selector does not select its own pods");
            foreach (var other in deployments.Where(o => o != deployment))
                Assert.False(Selects(selector, (JsonObject)other["spec"]!["template"]!["metadata"]!["labels"]!),
                    $"{Kustomize.Name(deployment)}'s selector also selects the pods of {Kustomize.Name(other)}");
            var budget = Assert.Single(budgets, b => Selects((JsonObject)b["spec"]!["selector"]!["matchLabels"]!, pods));
            Assert.Equal(1, budget["spec"]!["maxUnavailable"]!.GetValue<long>());
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Reporting_is_exposed_by_a_service_and_an_ingress_and_scaled_by_a_horizontal_autoscaler(string render)
    {
        var objects = Manifests.Render(render);
        var reporting = objects.Named("Deployment", "reporting");
        Assert.Null(reporting["spec"]!["replicas"]);
        var service = objects.Named("Service", "reporting");
        Assert.True(Selects((JsonObject)service["spec"]!["selector"]!, (JsonObject)reporting["spec"]!["template"]!["metadata"]!["labels"]!));
        var port = Assert.Single(service["spec"]!["ports"]!.AsArray());
        Assert.Contains(Manifests.Container(reporting)["ports"]!.AsArray(), p => p!["name"].Str() == port!["targetPort"].Str());
        var backends = objects.Named("Ingress", "reporting")["spec"]!["rules"]!.AsArray()
            .SelectMany(r => r!["http"]!["paths"]!.AsArray()).Select(p => p!["backend"]!["service"]!).ToList();
        Assert.All(backends, b => Assert.Equal(("reporting", port!["name"].Str()), (b!["name"].Str(), b["port"]!["name"].Str())));
        var target = objects.Named("HorizontalPodAutoscaler", "reporting")["spec"]!["scaleTargetRef"]!;
        Assert.Equal(("Deployment", "reporting"), (target["kind"].Str(), target["name"].Str()));
    }

    [Fact]
    public void The_example_overlay_gives_the_ingress_its_host_and_puts_everything_in_its_namespace()
    {
        Assert.Equal("jobs.example.com", Manifests.Overlay.Named("Ingress", "reporting")["spec"]!["rules"]![0]!["host"].Str());
        Assert.All(Manifests.Overlay.Where(o => Kustomize.Kind(o) != "Namespace"), o => Assert.Equal("jobs", o["metadata"]!["namespace"].Str()));
        Assert.DoesNotContain(Manifests.Overlay.OfKind("Secret").SelectMany(s => Manifests.Data(Manifests.Overlay, "Secret", Kustomize.Name(s))!.Values),
            value => value.Contains("replace-me", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Manifests.Renders), MemberType = typeof(Manifests))]
    public void Both_queues_of_every_integration_scale_a_deployment_that_hosts_only_its_platform(string render)
    {
        var objects = Manifests.Render(render);
        var platforms = Services.Platforms();
        Assert.Equal(["catalogue", "movies", "preaggregates", "reddit", "rest", "synthetic"], platforms);
        var scaled = objects.OfKind("ScaledObject").ToList();
        Assert.Equal(platforms.Count, scaled.Count);
        foreach (var platform in platforms)
        {
            var scaler = Assert.Single(scaled, s => s["spec"]!["triggers"]!.AsArray().Any(t => t!["metadata"]!["queueName"].Str() == $"integration-{platform}"));
            // Its two queues, bulk and interactive (IntegrationQueues), each a trigger.
            var triggers = scaler["spec"]!["triggers"]!.AsArray().Select(t => t!).ToList();
            Assert.Equal([$"integration-{platform}", $"integration-{platform}.interactive"], triggers.Select(t => t["metadata"]!["queueName"].Str()));
            Assert.All(triggers, t => Assert.Equal(("rabbitmq", "QueueLength"), (t["type"].Str(), t["metadata"]!["mode"].Str())));
            Assert.Single(triggers.Select(t => t["authenticationRef"]!["name"].Str()).Distinct());
            var trigger = triggers[0];
            Assert.True(scaler["spec"]!["minReplicaCount"]!.GetValue<long>() >= 1, "a platform needs a consumer on its queue to be usable");
            var deployment = objects.Named("Deployment", scaler["spec"]!["scaleTargetRef"]!["name"].Str());
            Assert.Equal("Integrations", Services.Of(deployment).Service);
            Assert.Null(deployment["spec"]!["replicas"]);
            var enabled = Manifests.Environment(objects, Manifests.Container(deployment))
                .Where(e => e.Key.StartsWith("Integrations__Enabled__", StringComparison.Ordinal)).ToList();
            Assert.Equal(("Integrations__Enabled__0", platform), (Assert.Single(enabled).Key, enabled[0].Value.Value));

            var authentication = objects.Named("TriggerAuthentication", trigger["authenticationRef"]!["name"].Str());
            var host = Assert.Single(authentication["spec"]!["secretTargetRef"]!.AsArray(), r => r!["parameter"].Str() == "host")!;
            var amqp = Manifests.Data(objects, "Secret", host["name"].Str())![host["key"].Str()];
            Assert.Null(Connections.RabbitMqProblem(amqp));
            Assert.Single(Connections.RabbitMq(amqp).Nodes);
        }
    }
}
