using System.Text.Json;
using Jobs.Platforms;
using Microsoft.Extensions.Options;

namespace Jobs.Plugins.Catalogue;

/// <summary>The configured vendors: the shipped definitions (embedded <c>Catalogue/Vendors/*.json</c>), then <c>Catalogue:VendorDirectory</c>.</summary>
public sealed class VendorCatalog
{
    private readonly Dictionary<string, VendorDefinition> _vendors = new(StringComparer.Ordinal);

    public VendorCatalog(IOptions<CatalogueOptions> options)
    {
        var assembly = typeof(VendorCatalog).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(".Catalogue.Vendors.") && n.EndsWith(".json")).Order())
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            Add(Read(stream, resource));
        }

        if (options.Value.VendorDirectory is { Length: > 0 } directory)
        {
            foreach (var file in Directory.GetFiles(directory, "*.json").Order())
            {
                using var stream = File.OpenRead(file);
                Add(Read(stream, file));
            }
        }
    }

    public IReadOnlyCollection<string> Names => _vendors.Keys;

    public VendorDefinition? Find(string name) => _vendors.GetValueOrDefault(name);

    /// <summary>Reads a definition; a definition with problems is refused with all of them named.</summary>
    public static VendorDefinition Parse(JsonElement json, string source)
    {
        var definition = json.Deserialize<VendorDefinition>(SettingsJson.Options) ?? throw new InvalidDataException($"{source}: empty vendor definition");
        var problems = definition.Problems();
        return problems.Count == 0 ? definition : throw new InvalidDataException($"{source}: {string.Join("; ", problems)}");
    }

    private static VendorDefinition Read(Stream stream, string source)
    {
        using var document = JsonDocument.Parse(stream);
        return Parse(document.RootElement, source);
    }

    private void Add(VendorDefinition vendor) => _vendors[vendor.Name] = vendor;
}
