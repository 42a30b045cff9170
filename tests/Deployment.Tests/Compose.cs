using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Jobs.Deployment.Tests;

/// <summary>A <c>${NAME}</c> that docker compose refuses to start without (<c>${NAME:?message}</c>), unset.</summary>
public sealed class MissingVariableException(string name, string message) : Exception($"{name}: {message}")
{
    public string Name { get; } = name;
}

/// <summary>A published port: <c>address:host:container</c> (address empty when the mapping names none: every interface).</summary>
public sealed record PortMapping(string Address, int Host, int Container);

/// <summary>docker-compose.yml as docker compose reads it: merge keys merged, <c>${...}</c> interpolated from a set of variables.</summary>
public static partial class Compose
{
    public const string FileName = "docker-compose.yml";
    public const string EnvExample = ".env.example";

    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?[-?])(?<arg>[^}]*))?\}")]
    private static partial Regex Variable();

    public static string Text() => File.ReadAllText(Path.Combine(Manifests.Root, FileName));

    /// <summary>The file parsed, nothing interpolated.</summary>
    public static JsonObject Raw() => (JsonObject)Yaml.Document(Text());

    /// <summary>The file as docker compose runs it with <paramref name="variables"/> (the environment and .env).</summary>
    public static JsonObject Resolved(IReadOnlyDictionary<string, string> variables) => (JsonObject)Interpolate(Raw(), variables)!;

    /// <summary>The variables .env.example documents, each empty one given <c>example-&lt;name&gt;</c>: what a filled-in .env holds.</summary>
    public static IReadOnlyDictionary<string, string> Example() =>
        ExampleFile().ToDictionary(p => p.Key, p => p.Value.Length > 0 ? p.Value : $"example-{p.Key.ToLowerInvariant()}", StringComparer.Ordinal);

    /// <summary>.env.example as written: <c>NAME=value</c> lines, comments skipped.</summary>
    public static IReadOnlyDictionary<string, string> ExampleFile() =>
        File.ReadLines(Path.Combine(Manifests.Root, EnvExample))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>Every <c>${NAME...}</c> the file uses outside its comments: the name and the operator (<c>:?</c>, <c>:-</c>, ... or empty).</summary>
    public static IReadOnlyList<(string Name, string Operator)> References() =>
        Text().Split('\n').Select(l => l.TrimStart()).Where(l => !l.StartsWith('#'))
            .SelectMany(l => Variable().Matches(l)).Where(m => m.Groups["name"].Success)
            .Select(m => (m.Groups["name"].Value, m.Groups["op"].Value)).Distinct().ToList();

    public static string Interpolate(string text, IReadOnlyDictionary<string, string> variables) =>
        Variable().Replace(text, m =>
        {
            if (m.Value == "$$") return "$";
            var name = m.Groups["name"].Value;
            var op = m.Groups["op"].Value;
            var set = variables.TryGetValue(name, out var value);
            var usable = op.StartsWith(':') ? set && value!.Length > 0 : set;
            return op.TrimStart(':') switch
            {
                "-" => usable ? value! : m.Groups["arg"].Value,
                "?" => usable ? value! : throw new MissingVariableException(name, m.Groups["arg"].Value),
                _ => value ?? "",
            };
        });

    private static JsonNode? Interpolate(JsonNode? node, IReadOnlyDictionary<string, string> variables) => node switch
    {
        JsonObject map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, Interpolate(p.Value, variables)))),
        JsonArray list => new JsonArray(list.Select(i => Interpolate(i, variables)).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var text) => JsonValue.Create(Interpolate(text, variables)),
        _ => node?.DeepClone(),
    };

    public static IEnumerable<(string Name, JsonObject Definition)> Services(JsonObject compose) =>
        compose["services"]!.AsObject().Select(s => (s.Key, s.Value!.AsObject()));

    public static JsonObject Service(JsonObject compose, string name) =>
        compose["services"]?[name]?.AsObject() ?? throw new InvalidOperationException($"{FileName} has no service {name}");

    /// <summary>The services built from this repository's Dockerfile for one of the five (a <c>SERVICE</c> build argument), by compose name.</summary>
    public static IEnumerable<(string Name, string Service, JsonObject Definition)> Built(JsonObject compose) =>
        Services(compose).Where(s => s.Definition["build"]?["args"]?["SERVICE"] is not null)
            .Select(s => (s.Name, s.Definition["build"]!["args"]!["SERVICE"].Str(), s.Definition));

    /// <summary>A service's environment (map or <c>NAME=value</c> list).</summary>
    public static Dictionary<string, string> Environment(JsonObject service) => service["environment"] switch
    {
        JsonObject map => map.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal),
        JsonArray list => list.Select(i => i.Str().Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal),
        _ => new Dictionary<string, string>(StringComparer.Ordinal),
    };

    public static IEnumerable<PortMapping> Ports(JsonObject service) =>
        (service["ports"]?.AsArray() ?? []).Select(p => p!.ToString().Split(':') switch
        {
            [var address, var host, var container] => new PortMapping(address, int.Parse(host, System.Globalization.CultureInfo.InvariantCulture), ContainerPort(container)),
            [var host, var container] => new PortMapping("", int.Parse(host, System.Globalization.CultureInfo.InvariantCulture), ContainerPort(container)),
            _ => throw new FormatException($"port mapping '{p}' is not [address:]host:container"),
        });

    private static int ContainerPort(string text) => int.Parse(text.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A service's volumes as (source, target): a named volume or a host path relative to the repository.</summary>
    public static IEnumerable<(string Source, string Target)> Volumes(JsonObject service) =>
        (service["volumes"]?.AsArray() ?? []).Select(v => v!.ToString().Split(':') is [var source, var target, ..]
            ? (source, target)
            : throw new FormatException($"volume '{v}' is not source:target"));

    /// <summary>The services a service waits for, each with its condition (none: a short list, which waits for nothing but the start).</summary>
    public static IReadOnlyDictionary<string, string?> DependsOn(JsonObject service) => service["depends_on"] switch
    {
        JsonObject map => map.ToDictionary(p => p.Key, p => p.Value?["condition"]?.ToString(), StringComparer.Ordinal),
        JsonArray list => list.ToDictionary(i => i.Str(), _ => (string?)null, StringComparer.Ordinal),
        _ => new Dictionary<string, string?>(),
    };
}
