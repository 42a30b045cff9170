using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace Jobs.Deployment.Tests;

/// <summary>A service as the repository defines it: the image docker-compose builds for it from infra/docker/Dockerfile, and its appsettings.json.</summary>
public sealed record ServiceImage(string Service, string Repository, string Tag);

public static partial class Services
{
    public const string Dockerfile = "infra/docker/Dockerfile";

    /// <summary>The images docker-compose.yml builds with <see cref="Dockerfile"/>, each with its <c>SERVICE</c> build argument.</summary>
    public static IReadOnlyList<ServiceImage> Images() => Compose.Built(Compose.Raw())
        .Where(s => s.Definition["build"]?["dockerfile"]?.GetValue<string>() == Dockerfile)
        .Select(s =>
        {
            var image = s.Definition["image"].Str();
            var colon = image.LastIndexOf(':');
            return new ServiceImage(s.Service, image[..colon], image[(colon + 1)..]);
        })
        .ToList();

    /// <summary>The service a Deployment runs: the one whose image it names (its repository, with the overlay's registry prefix if any).</summary>
    public static ServiceImage Of(JsonObject deployment)
    {
        var image = Manifests.Container(deployment)["image"].Str();
        var repository = image[..image.LastIndexOf(':')];
        return Images().SingleOrDefault(i => repository == i.Repository || repository.EndsWith("/" + i.Repository, StringComparison.Ordinal))
               ?? throw new InvalidOperationException($"{Kustomize.Name(deployment)} runs {image}, which docker-compose does not build from {Dockerfile}");
    }

    /// <summary>A setting a service reads at start and that a deployment must set: its key, and whether it is a list (set as <c>Key__0</c>, ...).</summary>
    public sealed record Read(string Key, bool List);

    /// <summary>Root keys of <see cref="ConnectionOptions"/> that stand in for another: ASP.NET Core's ASPNETCORE_URLS for Urls.</summary>
    private static readonly Dictionary<string, string> Alternatives = new() { ["ASPNETCORE_URLS"] = "Urls" };

    [GeneratedRegex(@"\b(127\.0\.0\.1|localhost)\b")]
    public static partial Regex Loopback();

    /// <summary>
    /// The root keys of the addresses <see cref="ConnectionOptions"/> binds (<c>RABBITMQ_URL</c>, ..., <c>Urls</c>): its string settings; its
    /// section <c>Postgres</c> (the per-owner roles) works with its defaults.
    /// </summary>
    public static IEnumerable<string> ConnectionKeys() =>
        typeof(ConnectionOptions).GetProperties()
            .Where(p => p.PropertyType == typeof(string))
            .Select(p => p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name)
            .OfType<string>();

    /// <summary>
    /// What a deployment of <paramref name="service"/> must set: the root keys of <see cref="ConnectionOptions"/>, and every
    /// value of its appsettings.json that is a loopback address or empty, unless empty means something in that deployment
    /// (<paramref name="optionalWhenEmpty"/>).
    /// </summary>
    public static IReadOnlyList<Read> Reads(string service, IReadOnlySet<string> optionalWhenEmpty)
    {
        var required = new List<Read>();
        required.AddRange(ConnectionKeys().Where(k => !Alternatives.ContainsKey(k)).Select(k => new Read(k, false)));
        foreach (var (key, value) in Leaves(AppSettings(service)))
        {
            if (value is JsonValue v && v.ToString() is var text && Loopback().IsMatch(text)) required.Add(new Read(key, false));
            else if (IsEmpty(value) && !optionalWhenEmpty.Contains(key)) required.Add(new Read(key, value is JsonArray));
        }

        return required.Distinct().ToList();
    }

    private static bool IsEmpty(JsonNode? value) =>
        value is null or JsonArray { Count: 0 } or JsonObject { Count: 0 } || (value is JsonValue v && v.ToString().Length == 0);

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
