using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>Only contracts (and the shared libraries and the plugins) cross service boundaries.</summary>
public sealed class ServiceBoundariesTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    public static TheoryData<string> Services() => new(ServiceSystem.Names);

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_project_references_only_the_shared_libraries_and_the_plugins(string service)
    {
        var project = Path.Combine(Root, "services", service, $"{service}.csproj");
        var references = XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, r.Attribute("Include")!.Value)))
            .ToList();

        Assert.All(references, r => Assert.True(
            r.StartsWith(Path.Combine(Root, "shared") + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || r.StartsWith(Path.Combine(Root, "plugins") + Path.DirectorySeparatorChar, StringComparison.Ordinal),
            $"{service} references {Path.GetRelativePath(Root, r)}: a service references only shared/ and plugins/ projects"));
    }

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
