using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>Only contracts (and the shared hosting pieces) cross service boundaries.</summary>
public sealed class ServiceBoundariesTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    public static TheoryData<string> Services() => new(ServiceSystem.Names);

    /// <summary>The read models the owners publish (<c>services/&lt;Owner&gt;.ReadModel</c>).</summary>
    public static TheoryData<string> ReadModels() => new(Directory.GetDirectories(Path.Combine(Root, "services"), "*.ReadModel").Select(Path.GetFileName)!);

    private static List<string> ProjectReferences(string project) =>
        XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, r.Attribute("Include")!.Value)))
            .ToList();

    private static bool IsShared(string reference) => reference.StartsWith(Path.Combine(Root, "shared") + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static bool IsReadModel(string reference) =>
        Path.GetDirectoryName(Path.GetDirectoryName(reference)) == Path.Combine(Root, "services")
        && Path.GetFileName(Path.GetDirectoryName(reference))!.EndsWith(".ReadModel", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_project_references_only_the_shared_libraries_and_other_owners_read_models(string service)
    {
        var references = ProjectReferences(Path.Combine(Root, "services", service, $"{service}.csproj"));

        Assert.All(references, r => Assert.True(IsShared(r) || IsReadModel(r), $"{service} references {Path.GetRelativePath(Root, r)}"));
    }

    [Theory]
    [MemberData(nameof(ReadModels))]
    public void A_read_model_references_only_the_shared_libraries_never_a_service(string readModel)
    {
        var references = ProjectReferences(Path.Combine(Root, "services", readModel, $"{readModel}.csproj"));

        Assert.All(references, r => Assert.True(IsShared(r), $"{readModel} references {Path.GetRelativePath(Root, r)}"));
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
