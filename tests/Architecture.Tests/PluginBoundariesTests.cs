using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>
/// A plugin is one folder (<c>plugins/&lt;Name&gt;</c>) that holds everything of it: its tables are read and written only there,
/// its storage is visible only to it, it is registered the one way, and the options of the plugins and of the Integrations
/// host are bound the one way.
/// </summary>
public sealed partial class PluginBoundariesTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    /// <summary>The folders under <c>plugins/</c>: one project each.</summary>
    private static IReadOnlyList<string> PluginNames() =>
        Directory.GetDirectories(Path.Combine(Root, "plugins")).Select(Path.GetFileName).Where(n => n is not null)
            .Where(n => File.Exists(Path.Combine(Root, "plugins", n!, $"{n}.csproj"))).Select(n => n!).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> Plugins() => new(PluginNames());

    [Fact]
    public void The_six_plugins_each_have_their_project()
    {
        Assert.Equal(["Catalogue", "Movies", "Preaggregates", "Reddit", "Rest", "Synthetic"], PluginNames());
    }

    [Fact]
    public void A_plugins_tables_appear_in_sql_only_inside_its_folder()
    {
        // Every table a plugin creates, by the plugin that creates it.
        var owners = PluginNames()
            .SelectMany(p => SourceFiles.Under(Root, Path.Combine("plugins", p)).SelectMany(f => CreateTable().Matches(f.Text)).Select(m => (Table: m.Groups[1].Value, Plugin: p)))
            .ToList();
        Assert.Superset(new HashSet<string> { "products", "product_history", "reddit_submissions", "movie_report", "movie_report_loads" },
            owners.Select(o => o.Table).ToHashSet());
        Assert.Equal(owners.Count, owners.Select(o => o.Table).Distinct().Count());

        var offenders = (
            from file in SourceFiles.Under(Root, "services", "shared", "plugins", "bench")
            from owner in owners
            where !file.Path.StartsWith(Path.Combine(Root, "plugins", owner.Plugin) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            from Match use in SqlUse(owner.Table).Matches(file.Text)
            select $"{file.Relative}: '{use.Value}' uses {owner.Plugin}'s table {owner.Table}").ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_preaggregates_keys_are_spelled_only_inside_its_folder()
    {
        // The key layout of the published document is the plugin's: others read it through PreaggregatesKeys.
        var offenders = SourceFiles.Under(Root, "services", "shared", "plugins", "bench")
            .Where(f => !f.Path.StartsWith(Path.Combine(Root, "plugins", "Preaggregates") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => f.Text.Contains("\"preaggregates:", StringComparison.Ordinal) || f.Text.Contains("$\"preaggregates:", StringComparison.Ordinal))
            .Select(f => f.Relative).ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void Contracts_hold_no_plugins_types()
    {
        // A plugin's documents and key layouts live with the plugin; Contracts hold bus messages.
        var declared = SourceFiles.Under(Root, Path.Combine("shared", "Contracts"))
            .SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => (File: f.Relative, Type: m.Groups[1].Value)))
            .Where(t => PluginNames().Any(p => t.Type.StartsWith(p, StringComparison.Ordinal)))
            .Select(t => $"{t.File}: {t.Type}").ToList();

        Assert.Empty(declared);
    }

    [Theory]
    [MemberData(nameof(Plugins))]
    public void A_plugins_storage_types_are_not_public(string plugin)
    {
        // Storage: the types declared in the files holding the plugin's DDL (its tables and their rows), and its stores, writes and writers by name.
        var fromDdl = SourceFiles.Under(Root, Path.Combine("plugins", plugin)).Where(f => CreateTable().IsMatch(f.Text))
            .SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => m.Groups[1].Value));
        var types = PublicTypes(plugin, out var all);
        var storage = all.Where(t => fromDdl.Contains(t) || StorageName().IsMatch(t)).ToList();
        // Synthetic stores nothing; rest lands its rows only through the shared storage targets (Jobs.Plugins.Storage).
        if (plugin is not ("Synthetic" or "Rest")) Assert.NotEmpty(storage);

        Assert.Empty(storage.Intersect(types));
    }

    [Theory]
    [MemberData(nameof(Plugins))]
    public void A_built_plugin_loads_no_service_and_no_other_plugin(string plugin)
    {
        var referenced = AssemblyReferences(Dll(Path.Combine("plugins", plugin), $"Jobs.Plugins.{plugin}.dll"));

        Assert.Empty(referenced.Intersect(ServiceSystem.Names));
        Assert.DoesNotContain(referenced, r => r.StartsWith("Jobs.Plugins.", StringComparison.Ordinal));
        Assert.Contains("Jobs.Plugins", referenced);
    }

    [Fact]
    public void The_plugin_sdk_loads_no_service_and_no_plugin()
    {
        var referenced = AssemblyReferences(Dll(Path.Combine("shared", "Plugins"), "Jobs.Plugins.dll"));

        Assert.Empty(referenced.Intersect(ServiceSystem.Names));
        Assert.DoesNotContain(referenced, r => r.StartsWith("Jobs.Plugins.", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Plugins))]
    public void A_plugin_has_exactly_one_plugin_class_registered_once_in_the_host_and_its_data_mounted_once_in_reporting(string plugin)
    {
        var classes = SourceFiles.Under(Root, Path.Combine("plugins", plugin))
            .SelectMany(f => PluginClass().Matches(f.Text)).Select(m => (Name: m.Groups[1].Value, Bases: m.Groups[2].Value)).ToList();
        var single = Assert.Single(classes);
        Assert.Equal($"{plugin}Plugin", single.Name);

        var host = File.ReadAllText(Path.Combine(Root, "services", "Integrations", "IntegrationsServices.cs"));
        Assert.Equal(1, Regex.Count(host, $@"\bAddPlugin<{single.Name}>\(\)"));
        var reporting = string.Concat(SourceFiles.Under(Root, Path.Combine("services", "Reporting")).Select(f => f.Text));
        var mounted = Regex.Count(reporting, $@"\bMapPluginData<{single.Name}>\(\)");
        Assert.Equal(Regex.IsMatch(single.Bases, @"\bIPluginData\b") ? 1 : 0, mounted);
    }

    [Fact]
    public void Integrations_reach_the_host_only_through_the_plugin_builder()
    {
        // AddPlugin -> IPlugin.AddTo -> PluginBuilder.AddIntegration is the one way an IIntegration is registered.
        var builder = Path.Combine(Root, "shared", "Plugins", "PluginBuilder.cs");
        var offenders = SourceFiles.Under(Root, "services", "shared", "plugins")
            .Where(f => f.Path != builder)
            .SelectMany(f => IntegrationRegistration().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}"))
            .ToList();

        Assert.Empty(offenders);
        Assert.Matches(IntegrationRegistration(), File.ReadAllText(builder));
    }

    /// <summary>The names of the public types of a built plugin; <paramref name="all"/> gets every type's name.</summary>
    private static HashSet<string> PublicTypes(string plugin, out List<string> all)
    {
        using var stream = File.OpenRead(Dll(Path.Combine("plugins", plugin), $"Jobs.Plugins.{plugin}.dll"));
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var types = metadata.TypeDefinitions.Select(metadata.GetTypeDefinition)
            .Where(t => t.GetDeclaringType().IsNil)
            .Select(t => (Name: metadata.GetString(t.Name), Public: (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public))
            .Where(t => !t.Name.StartsWith('<'))
            .ToList();
        all = types.Select(t => t.Name.Split('`')[0]).ToList();
        return types.Where(t => t.Public).Select(t => t.Name.Split('`')[0]).ToHashSet();
    }

    private static HashSet<string> AssemblyReferences(string dll)
    {
        using var stream = File.OpenRead(dll);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToHashSet();
    }

    private static string Dll(string project, string name) =>
        Directory.GetFiles(Path.Combine(Root, project, "bin"), name, SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).First();

    private static Regex SqlUse(string table) =>
        new($@"\b(FROM|JOIN|INTO|UPDATE|TABLE|EXISTS|TRUNCATE)\s+(\w+\.)?{Regex.Escape(table)}\b", RegexOptions.IgnoreCase);

    [GeneratedRegex(@"CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"\b(?:class|record|interface|struct|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\w+(?:Store|Write|Writer|Readings)$")]
    private static partial Regex StorageName();

    [GeneratedRegex(@"\bclass\s+(\w+)\s*(?:\([^)]*\))?\s*:\s*([^{]*\bIPlugin\b[^{]*)")]
    private static partial Regex PluginClass();

    [GeneratedRegex(@"<\s*IIntegration\s*,|typeof\s*\(\s*IIntegration\s*\)")]
    private static partial Regex IntegrationRegistration();

}
