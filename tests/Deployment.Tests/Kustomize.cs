using System.Text.Json.Nodes;

namespace Jobs.Deployment.Tests;

/// <summary>
/// Renders a kustomization as <c>kustomize build</c> does, for the subset infra/k8s uses (no kubectl or kustomize can run
/// here): <c>resources</c> (files and folders with a kustomization), <c>patches</c> (strategic merge, or RFC 6902 with a
/// target), <c>namespace</c>, <c>namePrefix</c>/<c>nameSuffix</c>, <c>labels</c> (with <c>includeSelectors</c>) and
/// <c>images</c>, applied in kustomize's order. Any other field fails the render rather than being ignored, and so does a
/// patch that matches nothing.
/// </summary>
public static class Kustomize
{
    private static readonly HashSet<string> Supported =
        ["apiVersion", "kind", "resources", "patches", "namespace", "namePrefix", "nameSuffix", "labels", "images"];

    /// <summary>Kinds that are not namespaced (the namespace transformer leaves them alone).</summary>
    private static readonly HashSet<string> ClusterScoped = ["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"];

    /// <summary>The merge key of each list strategic merge merges by element (others are replaced whole).</summary>
    private static readonly Dictionary<string, string> MergeKeys = new()
    {
        ["containers"] = "name", ["initContainers"] = "name", ["env"] = "name", ["volumes"] = "name",
        ["ports"] = "containerPort", ["volumeMounts"] = "mountPath", ["imagePullSecrets"] = "name",
    };

    public static List<JsonObject> Build(string directory)
    {
        var file = Path.Combine(directory, "kustomization.yaml");
        if (!File.Exists(file)) throw new InvalidOperationException($"{directory} has no kustomization.yaml");
        var kustomization = (JsonObject)Yaml.Document(File.ReadAllText(file));
        foreach (var (key, _) in kustomization)
            if (!Supported.Contains(key)) throw new NotSupportedException($"{file}: field '{key}' is not supported by this renderer");

        var objects = new List<JsonObject>();
        foreach (var resource in Strings(kustomization["resources"]))
        {
            var path = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(path)) objects.AddRange(Build(path));
            else if (File.Exists(path)) objects.AddRange(Yaml.Documents(File.ReadAllText(path)).Cast<JsonObject>());
            else throw new FileNotFoundException($"{file}: resource '{resource}' does not exist");
        }

        foreach (var patch in kustomization["patches"]?.AsArray() ?? []) Patch(directory, objects, (JsonObject)patch!);

        if (kustomization["namespace"]?.GetValue<string>() is { } ns)
            foreach (var o in objects.Where(o => !ClusterScoped.Contains(Kind(o)))) Metadata(o)["namespace"] = ns;

        var prefix = kustomization["namePrefix"]?.GetValue<string>() ?? "";
        var suffix = kustomization["nameSuffix"]?.GetValue<string>() ?? "";
        if (prefix.Length + suffix.Length > 0)
            foreach (var o in objects.Where(o => Kind(o) != "Namespace")) Metadata(o)["name"] = prefix + Name(o) + suffix;

        foreach (var labels in kustomization["labels"]?.AsArray() ?? []) Label(objects, (JsonObject)labels!);
        foreach (var image in kustomization["images"]?.AsArray() ?? []) Image(objects, (JsonObject)image!);
        return objects;
    }

    public static string Kind(JsonObject o) => o["kind"]?.GetValue<string>() ?? throw new FormatException("an object without kind");

    public static string Name(JsonObject o) => o["metadata"]?["name"]?.GetValue<string>() ?? throw new FormatException($"a {Kind(o)} without a name");

    private static JsonObject Metadata(JsonObject o) => o["metadata"] as JsonObject ?? (JsonObject)(o["metadata"] = new JsonObject());

    private static IEnumerable<string> Strings(JsonNode? node) => node?.AsArray().Select(n => n!.GetValue<string>()) ?? [];

    private static void Patch(string directory, List<JsonObject> objects, JsonObject patch)
    {
        var text = patch["path"]?.GetValue<string>() is { } path
            ? File.ReadAllText(Path.Combine(directory, path))
            : patch["patch"]?.GetValue<string>() ?? throw new FormatException("a patch without path or patch");
        var target = patch["target"] as JsonObject;
        foreach (var document in Yaml.Documents(text))
        {
            if (document is JsonArray operations)
            {
                if (target is null) throw new FormatException("an RFC 6902 patch needs a target");
                foreach (var o in Matching(objects, target, text)) JsonPatch.Apply(o, operations);
            }
            else
            {
                var merge = (JsonObject)document;
                var selector = target ?? new JsonObject { ["kind"] = Kind(merge), ["name"] = Name(merge) };
                foreach (var o in Matching(objects, selector, text)) StrategicMerge(o, merge);
            }
        }
    }

    private static List<JsonObject> Matching(List<JsonObject> objects, JsonObject target, string patch)
    {
        var kind = target["kind"]?.GetValue<string>();
        var name = target["name"]?.GetValue<string>();
        var matches = objects.Where(o => (kind is null || Kind(o) == kind) && (name is null || Name(o) == name)).ToList();
        return matches.Count > 0 ? matches : throw new InvalidOperationException($"the patch matches no object ({kind} {name}):\n{patch}");
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="into"/>: maps key by key (null deletes), the lists of <see cref="MergeKeys"/> element by key.</summary>
    public static void StrategicMerge(JsonObject into, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null) into.Remove(key);
            else if (value is JsonObject map && into[key] is JsonObject existing) StrategicMerge(existing, map);
            else if (value is JsonArray list && into[key] is JsonArray current && MergeKeys.TryGetValue(key, out var mergeKey)) MergeList(current, list, mergeKey);
            else into[key] = value.DeepClone();
        }
    }

    private static void MergeList(JsonArray into, JsonArray patch, string key)
    {
        foreach (var element in patch.OfType<JsonObject>())
        {
            var id = element[key]?.ToJsonString();
            if (into.OfType<JsonObject>().FirstOrDefault(e => e[key]?.ToJsonString() == id) is { } existing) StrategicMerge(existing, element);
            else into.Add(element.DeepClone());
        }
    }

    private static void Label(List<JsonObject> objects, JsonObject labels)
    {
        var pairs = (JsonObject)labels["pairs"]!;
        var selectors = labels["includeSelectors"]?.GetValue<bool>() ?? false;
        foreach (var o in objects)
        {
            Add(Metadata(o), "labels", pairs);
            if (!selectors) continue;
            switch (Kind(o))
            {
                case "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet":
                    Add((JsonObject)o["spec"]!["selector"]!, "matchLabels", pairs);
                    Add(Metadata((JsonObject)o["spec"]!["template"]!), "labels", pairs);
                    break;
                case "PodDisruptionBudget":
                    Add((JsonObject)o["spec"]!["selector"]!, "matchLabels", pairs);
                    break;
                case "Service":
                    Add((JsonObject)o["spec"]!, "selector", pairs);
                    break;
            }
        }
    }

    private static void Add(JsonObject owner, string field, JsonObject pairs)
    {
        var map = owner[field] as JsonObject ?? (JsonObject)(owner[field] = new JsonObject());
        foreach (var (key, value) in pairs) map[key] = value?.DeepClone();
    }

    private static void Image(List<JsonObject> objects, JsonObject image)
    {
        var name = image["name"]!.GetValue<string>();
        foreach (var container in objects.SelectMany(PodContainers))
        {
            var current = container["image"]!.GetValue<string>();
            var colon = current.LastIndexOf(':');
            var (repository, tag) = colon > current.LastIndexOf('/') ? (current[..colon], current[(colon + 1)..]) : (current, "latest");
            if (repository != name) continue;
            container["image"] = $"{image["newName"]?.GetValue<string>() ?? repository}:{image["newTag"]?.GetValue<string>() ?? tag}";
        }
    }

    /// <summary>The containers (and init containers) of a workload's pod template.</summary>
    public static IEnumerable<JsonObject> PodContainers(JsonObject o) =>
        o["spec"]?["template"]?["spec"] is JsonObject pod
            ? new[] { "initContainers", "containers" }.SelectMany(f => pod[f]?.AsArray().OfType<JsonObject>() ?? [])
            : [];
}

/// <summary>RFC 6902 <c>add</c>, <c>replace</c> and <c>remove</c> (what the manifests use), on JSON pointers.</summary>
public static class JsonPatch
{
    public static void Apply(JsonObject document, JsonArray operations)
    {
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = operation["op"]!.GetValue<string>();
            var path = operation["path"]!.GetValue<string>().Split('/')[1..].Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray();
            var parent = path[..^1].Aggregate((JsonNode)document, (node, segment) => Child(node, segment, operation));
            var last = path[^1];
            var value = operation["value"]?.DeepClone();
            switch (op, parent)
            {
                case ("add", JsonArray list):
                    if (last == "-") list.Add(value);
                    else list.Insert(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture), value);
                    break;
                case ("add", JsonObject map):
                    map[last] = value;
                    break;
                case ("replace", _):
                    _ = Child(parent, last, operation);
                    Set(parent, last, value);
                    break;
                case ("remove", JsonArray list):
                    _ = Child(parent, last, operation);
                    list.RemoveAt(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case ("remove", JsonObject map):
                    _ = Child(parent, last, operation);
                    map.Remove(last);
                    break;
                default:
                    throw new NotSupportedException($"patch operation '{op}' is not supported: {operation.ToJsonString()}");
            }
        }
    }

    private static void Set(JsonNode parent, string segment, JsonNode? value)
    {
        if (parent is JsonArray list) list[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)] = value;
        else parent.AsObject()[segment] = value;
    }

    private static JsonNode Child(JsonNode node, string segment, JsonObject operation) =>
        (node switch
        {
            JsonArray list when int.TryParse(segment, out var i) && i >= 0 && i < list.Count => list[i],
            JsonObject map when map.ContainsKey(segment) => map[segment],
            _ => null,
        }) ?? throw new InvalidOperationException($"patch path does not exist: {operation.ToJsonString()}");
}
