using System.Text.Json.Nodes;
using Jobs.TestSupport;

namespace Jobs.Deployment.Tests;

/// <summary>A setting of a container: its value (null when it comes from a secret key no rendered object holds) and where it comes from.</summary>
public sealed record Setting(string Name, string? Value, string Source);

/// <summary>infra/k8s rendered: the base and the example overlay, and what the tests ask of them.</summary>
public static class Manifests
{
    public static readonly string Root = ServiceSystem.RepositoryRoot();
    public static readonly string K8s = Path.Combine(Root, "infra", "k8s");

    private static readonly Lazy<List<JsonObject>> BaseObjects = new(() => Kustomize.Build(Path.Combine(K8s, "base")));
    private static readonly Lazy<List<JsonObject>> OverlayObjects = new(() => Kustomize.Build(Path.Combine(K8s, "overlays", "example")));

    public static IReadOnlyList<JsonObject> Base => BaseObjects.Value;
    public static IReadOnlyList<JsonObject> Overlay => OverlayObjects.Value;

    /// <summary>The two renders by name, for theories.</summary>
    public static IReadOnlyList<JsonObject> Render(string which) => which switch
    {
        "base" => Base,
        "overlays/example" => Overlay,
        _ => throw new ArgumentOutOfRangeException(nameof(which), which, null),
    };

    public static TheoryData<string> Renders => new() { "base", "overlays/example" };

    public static IEnumerable<JsonObject> OfKind(this IEnumerable<JsonObject> objects, string kind) =>
        objects.Where(o => Kustomize.Kind(o) == kind);

    public static JsonObject Named(this IEnumerable<JsonObject> objects, string kind, string name) =>
        objects.OfKind(kind).SingleOrDefault(o => Kustomize.Name(o) == name)
        ?? throw new InvalidOperationException($"no {kind} {name} in the render");

    public static string Str(this JsonNode? node) => node?.GetValue<string>() ?? throw new InvalidOperationException("a missing string");

    /// <summary>The Secrets the operators write for the objects they manage, which a render cannot hold: CloudNativePG's &lt;cluster&gt;-app.</summary>
    public static IEnumerable<string> OperatorSecrets(IEnumerable<JsonObject> objects) =>
        objects.Where(o => o["apiVersion"]?.GetValue<string>() == "postgresql.cnpg.io/v1" && Kustomize.Kind(o) == "Cluster")
            .Select(o => $"{Kustomize.Name(o)}-app");

    /// <summary>Every environment variable a container gets (env, then envFrom: the first definition wins, as in Kubernetes).</summary>
    public static Dictionary<string, Setting> Environment(IReadOnlyList<JsonObject> objects, JsonObject container)
    {
        var settings = new Dictionary<string, Setting>(StringComparer.Ordinal);
        foreach (var env in container["env"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var name = env["name"].Str();
            if (env["value"] is { } value) settings.TryAdd(name, new Setting(name, value.GetValue<string>(), "env"));
            else if (env["valueFrom"]?["secretKeyRef"] is JsonObject key)
                settings.TryAdd(name, new Setting(name, Data(objects, "Secret", key["name"].Str())?[key["key"].Str()], $"Secret {key["name"].Str()}"));
            else if (env["valueFrom"]?["configMapKeyRef"] is JsonObject configKey)
                settings.TryAdd(name, new Setting(name, Data(objects, "ConfigMap", configKey["name"].Str())?[configKey["key"].Str()], $"ConfigMap {configKey["name"].Str()}"));
        }

        foreach (var from in container["envFrom"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var (kind, reference) = from["configMapRef"] is JsonObject c ? ("ConfigMap", c) : ("Secret", (JsonObject)from["secretRef"]!);
            var name = reference["name"].Str();
            var data = Data(objects, kind, name) ?? throw new InvalidOperationException($"envFrom names {kind} {name}, which is not in the render");
            foreach (var (key, value) in data) settings.TryAdd(key, new Setting(key, value, $"{kind} {name}"));
        }

        return settings;
    }

    /// <summary>The data of a rendered ConfigMap or Secret (a Secret's stringData, its base64 data decoded); null when none is rendered.</summary>
    public static Dictionary<string, string>? Data(IReadOnlyList<JsonObject> objects, string kind, string name)
    {
        var o = objects.OfKind(kind).FirstOrDefault(x => Kustomize.Name(x) == name);
        if (o is null) return null;
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in o["stringData"]?.AsObject() ?? []) data[key] = value.Str();
        foreach (var (key, value) in o["data"]?.AsObject() ?? [])
            data[key] = kind == "Secret" ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(value.Str())) : value.Str();
        return data;
    }

    /// <summary>A Deployment's one container.</summary>
    public static JsonObject Container(JsonObject deployment) =>
        Kustomize.PodContainers(deployment).ToList() is [var single] ? single : throw new InvalidOperationException($"{Kustomize.Name(deployment)} has not one container");
}
