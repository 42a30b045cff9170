using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Jobs.Deployment.Tests;

/// <summary>
/// Validates a Kubernetes object against the JSON schema of its kind, vendored in tests/Deployment.Tests/Schemas
/// (see the README there): JSON Schema validation (types, enums, required fields) by JsonSchema.Net, and a strictness rule
/// of ours on top, since these schemas, like Kubernetes' own OpenAPI, leave <c>additionalProperties</c> open: every
/// property of an object must be one its schema defines, unless the schema gives <c>additionalProperties</c> a schema,
/// says <c>true</c>, or defines no properties at all (a free-form map), or says <c>x-kubernetes-preserve-unknown-fields</c>.
/// The operators' schemas, made of their CRDs by extract.js, spell <c>additionalProperties: false</c> out themselves, as
/// Kubernetes' structural-schema rules have it.
/// </summary>
public static class SchemaValidator
{
    public static readonly string Folder = Path.Combine(Manifests.Root, "tests", "Deployment.Tests", "Schemas");

    private static readonly ConcurrentDictionary<string, (JsonSchema Schema, JsonElement Document)?> Schemas = new();

    /// <summary>The schema id of a kind (<c>apps/v1</c> Deployment: <c>io.k8s.api.apps.v1.Deployment</c>; a CRD: <c>group.version.Kind</c>).</summary>
    public static string SchemaId(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/');
        if (slash < 0) return $"io.k8s.api.core.{apiVersion}.{kind}";
        var (group, version) = (apiVersion[..slash], apiVersion[(slash + 1)..]);
        return group.EndsWith(".k8s.io", StringComparison.Ordinal) || !group.Contains('.')
            ? $"io.k8s.api.{group.Split('.')[0]}.{version}.{kind}"
            : $"{group}.{version}.{kind}";
    }

    /// <summary>Whether a schema is vendored for the kind of <paramref name="o"/>.</summary>
    public static bool HasSchema(JsonObject o) => Load(Id(o)) is not null;

    private static string Id(JsonObject o) =>
        SchemaId(o["apiVersion"]?.GetValue<string>() ?? "", o["kind"]?.GetValue<string>() ?? "");

    /// <summary>What is wrong with <paramref name="o"/>, each problem with its JSON pointer; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(JsonObject o)
    {
        var id = Id(o);
        if (Load(id) is not var (schema, document)) return [$"no schema vendored for {id}"];
        var instance = JsonSerializer.SerializeToElement(o);
        var problems = new List<string>();
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
            problems.AddRange((result.Details ?? [result])
                .Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
        Strict(instance, document.GetProperty("$ref"), document, "", problems);
        return problems.Distinct().ToList();
    }

    private static (JsonSchema, JsonElement)? Load(string id) => Schemas.GetOrAdd(id, key =>
    {
        var file = Path.Combine(Folder, $"{key}.json");
        if (!File.Exists(file)) return null;
        var text = File.ReadAllText(file);
        var schema = JsonSchema.FromText(text, new BuildOptions(), new Uri($"https://schemas.jobs.test/{key}.json"));
        return (schema, JsonDocument.Parse(text).RootElement.Clone());
    });

    private static JsonElement Resolve(JsonElement schema, JsonElement root)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
            schema = root.GetProperty("$defs").GetProperty(reference.GetString()!["#/$defs/".Length..]);
        return schema;
    }

    private static void Strict(JsonElement instance, JsonElement schema, JsonElement root, string path, List<string> problems)
    {
        if (schema.ValueKind == JsonValueKind.String) schema = root.GetProperty("$defs").GetProperty(schema.GetString()!["#/$defs/".Length..]);
        schema = Resolve(schema, root);
        if (schema.ValueKind != JsonValueKind.Object) return;
        // A nullable reference is oneOf [the reference, null]; a value that is not null is checked against the branches that
        // are not the null one (one, in these schemas, for objects).
        foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
            if (schema.TryGetProperty(combinator, out var branches))
                foreach (var branch in branches.EnumerateArray().Select(b => Resolve(b, root)).Where(b => !IsNullType(b)))
                    if (Accepts(branch, instance)) Strict(instance, branch, root, path, problems);

        switch (instance.ValueKind)
        {
            case JsonValueKind.Object:
                var hasProperties = schema.TryGetProperty("properties", out var properties);
                var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
                var preserve = schema.TryGetProperty("x-kubernetes-preserve-unknown-fields", out var p) && p.ValueKind == JsonValueKind.True;
                foreach (var property in instance.EnumerateObject())
                {
                    var at = $"{path}/{property.Name}";
                    if (hasProperties && properties.TryGetProperty(property.Name, out var propertySchema))
                        Strict(property.Value, propertySchema, root, at, problems);
                    else if (hasAdditional && additional.ValueKind == JsonValueKind.Object)
                        Strict(property.Value, additional, root, at, problems);
                    else if (hasProperties && properties.EnumerateObject().Any() && !preserve && !(hasAdditional && additional.ValueKind == JsonValueKind.True))
                        problems.Add($"{at}: unknown field '{property.Name}' (not in the schema)");
                }
                break;
            case JsonValueKind.Array when schema.TryGetProperty("items", out var items):
                var index = 0;
                foreach (var item in instance.EnumerateArray()) Strict(item, items, root, $"{path}/{index++}", problems);
                break;
        }
    }

    private static bool IsNullType(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "null";

    /// <summary>Whether a branch's declared type (if any) is the instance's: the strictness walk follows those branches only.</summary>
    private static bool Accepts(JsonElement schema, JsonElement instance)
    {
        if (!schema.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String) return true;
        return (type.GetString(), instance.ValueKind) switch
        {
            ("object", JsonValueKind.Object) or ("array", JsonValueKind.Array) or ("string", JsonValueKind.String) => true,
            ("integer" or "number", JsonValueKind.Number) or ("boolean", JsonValueKind.True or JsonValueKind.False) => true,
            _ => false,
        };
    }
}
