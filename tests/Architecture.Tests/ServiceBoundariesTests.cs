using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>Only contracts, the shared libraries, the owners' read models and the plugins cross service boundaries.</summary>
public sealed class ServiceBoundariesTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    public static TheoryData<string> Services() => new(ServiceSystem.Names);

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_project_references_only_the_shared_libraries_read_models_and_plugins(string service)
    {
        var project = Path.Combine(Root, "services", service, $"{service}.csproj");
        var references = XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, r.Attribute("Include")!.Value)))
            .ToList();

        Assert.All(references, r => Assert.True(IsSharedReadModelOrPlugin(r), $"{service} references {Path.GetRelativePath(Root, r)}"));
    }

    [Fact]
    public void A_read_model_references_only_the_shared_libraries()
    {
        var readModels = Directory.GetFiles(Path.Combine(Root, "services"), "*.ReadModel.csproj", SearchOption.AllDirectories);
        Assert.NotEmpty(readModels);
        foreach (var project in readModels)
        {
            var references = XDocument.Load(project).Descendants("ProjectReference")
                .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, r.Attribute("Include")!.Value)));
            Assert.All(references, r => Assert.StartsWith(Path.Combine(Root, "shared") + Path.DirectorySeparatorChar, r));
        }
    }

    /// <summary>
    /// A shared library, the read model an owning service publishes (<c>services/&lt;Owner&gt;.ReadModel</c>), or a plugin
    /// (<c>plugins/&lt;Name&gt;</c>: hosted by the Integrations, its data endpoints mounted by Reporting).
    /// </summary>
    private static bool IsSharedReadModelOrPlugin(string project) =>
        project.StartsWith(Path.Combine(Root, "shared") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || project.StartsWith(Path.Combine(Root, "plugins") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || (project.StartsWith(Path.Combine(Root, "services") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && project.EndsWith(".ReadModel.csproj", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Services))]
    public void A_built_service_loads_no_other_service(string service)
    {
        var dll = Directory.GetFiles(Path.Combine(Root, "services", service, "bin"), $"{service}.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        using var stream = File.OpenRead(dll);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var referenced = metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToHashSet();

        Assert.Empty(referenced.Intersect(ServiceSystem.Names.Where(n => n != service)));
        Assert.Contains("Jobs.Contracts", referenced);
    }

    [Fact]
    public void Contracts_are_plain_records_without_dependencies()
    {
        var project = Path.Combine(Root, "shared", "Contracts", "Contracts.csproj");
        var document = XDocument.Load(project);
        Assert.Empty(document.Descendants("PackageReference"));
        Assert.Empty(document.Descendants("ProjectReference"));
    }
}
