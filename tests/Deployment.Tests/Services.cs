using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Jobs.Deployment.Tests;

/// <summary>A service as the repository defines it: the image docker-compose builds for it from infra/docker/Dockerfile, and its appsettings.json.</summary>
public sealed record ServiceImage(string Service, string Repository, string Tag);

public static partial class Services
{
    public const string Dockerfile = "infra/docker/Dockerfile";

    /// <summary>The images docker-compose.yml builds with <see cref="Dockerfile"/>, each with its <c>SERVICE</c> build argument.</summary>
    public static IReadOnlyList<ServiceImage> Images()
    {
        var compose = Yaml.Document(File.ReadAllText(Path.Combine(Manifests.Root, "docker-compose.yml")));
        return compose["services"]!.AsObject()
            .Where(s => s.Value?["build"]?["dockerfile"]?.GetValue<string>() == Dockerfile)
            .Select(s =>
            {
                var image = s.Value!["image"].Str();
                var colon = image.LastIndexOf(':');
                return new ServiceImage(s.Value["build"]!["args"]!["SERVICE"].Str(), image[..colon], image[(colon + 1)..]);
            })
            .ToList();
    }

    /// <summary>The service a Deployment runs: the one whose image it names (its repository, with the overlay's registry prefix if any).</summary>
    public static ServiceImage Of(JsonObject deployment)
    {
        var image = Manifests.Container(deployment)["image"].Str();
        var repository = image[..image.LastIndexOf(':')];
        return Images().SingleOrDefault(i => repository == i.Repository || repository.EndsWith("/" + i.Repository, StringComparison.Ordinal))
               ?? throw new InvalidOperationException($"{Kustomize.Name(deployment)} runs {image}, which docker-compose does not build from {Dockerfile}");
    }

    public static JsonObject AppSettings(string service) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Manifests.Root, "services", service, "appsettings.json")))!;

    /// <summary>Every leaf of a configuration document as (key, value): <c>Security:AdminKey</c>; an empty list or map is a leaf with no value.</summary>
    public static IEnumerable<(string Key, JsonNode? Value)> Leaves(JsonNode? node, string prefix = "") => node switch
    {
        JsonObject { Count: > 0 } map => map.SelectMany(p => Leaves(p.Value, prefix.Length == 0 ? p.Key : $"{prefix}:{p.Key}")),
        JsonArray { Count: > 0 } list => list.SelectMany((item, i) => Leaves(item, $"{prefix}:{i}")),
        _ => [(prefix, node)],
    };

    /// <summary>A configuration key as the environment variable that sets it (<c>Security:AdminKey</c>: <c>Security__AdminKey</c>).</summary>
    public static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>The platforms: the names the plugins declare (<c>public override string Name =&gt; "synthetic"</c>).</summary>
    public static IReadOnlyList<string> Platforms() =>
        Directory.EnumerateFiles(Path.Combine(Manifests.Root, "plugins"), "*Integration.cs", SearchOption.AllDirectories)
            .Select(f => PluginName().Match(File.ReadAllText(f)))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"override\s+string\s+Name\s*=>\s*""([a-z0-9-]+)""")]
    private static partial Regex PluginName();

    /// <summary>The paths the services map health checks on (shared/ServiceDefaults/Extensions.cs).</summary>
    public static IReadOnlyList<string> HealthPaths() =>
        HealthMapping().Matches(File.ReadAllText(Path.Combine(Manifests.Root, "shared", "ServiceDefaults", "Extensions.cs")))
            .Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"MapHealthChecks\(\s*""([^""]+)""")]
    private static partial Regex HealthMapping();

    /// <summary>The largest peak RSS in MB bench/README.md records for each service, over every run it lists.</summary>
    public static IReadOnlyDictionary<string, int> PeakRssMegabytes()
    {
        var text = File.ReadAllText(Path.Combine(Manifests.Root, "bench", "README.md"));
        return PeakRss().Matches(text)
            .GroupBy(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Max());
    }

    [GeneratedRegex(@"\b(Integrations|Integrator|Auditor|Scheduler|Reporting)\s+(\d+) MB\b")]
    private static partial Regex PeakRss();
}
