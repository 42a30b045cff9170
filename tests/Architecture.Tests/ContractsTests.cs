using System.Reflection;
using System.Text.RegularExpressions;
using Jobs.Contracts;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>
/// shared/Contracts holds bus messages only, one folder per owning service: a command's owner is the service that handles it,
/// an event's owner the service that publishes it, and no other service publishes (constructs) an owner's event.
/// </summary>
public sealed class ContractsTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();
    private static readonly string ContractsFolder = Path.Combine(Root, "shared", "Contracts");
    private static readonly Assembly Contracts = typeof(StartRootJob).Assembly;

    private static IEnumerable<SourceFile> ContractFiles() => SourceFiles.Under(Root, Path.Combine("shared", "Contracts"));

    [Fact]
    public void Every_contract_lives_in_the_folder_of_the_service_that_owns_it()
    {
        var misplaced = ContractFiles()
            .Select(f => Path.GetRelativePath(ContractsFolder, f.Path).Split(Path.DirectorySeparatorChar))
            .Where(parts => parts.Length < 2 || !ServiceSystem.Names.Contains(parts[0]))
            .Select(parts => string.Join('/', parts))
            .ToList();

        Assert.Empty(misplaced);
    }

    [Fact]
    public void Contracts_hold_message_records_and_the_vocabularies_of_their_fields_only()
    {
        var others = Contracts.GetExportedTypes().Where(t => !IsRecord(t) && !IsVocabulary(t)).Select(t => t.FullName).ToList();

        Assert.Empty(others);
    }

    [Fact]
    public void Every_contract_keeps_the_namespace_its_wire_name_comes_from()
    {
        // MassTransit names exchanges and message types after the namespace (urn:message:Jobs.Contracts:StartRootJob).
        Assert.All(Contracts.GetExportedTypes(), t => Assert.Equal("Jobs.Contracts", t.Namespace));
    }

    public static TheoryData<string, string> Events()
    {
        var events = new TheoryData<string, string>();
        foreach (var file in ContractFiles())
        {
            var parts = Path.GetRelativePath(ContractsFolder, file.Path).Split(Path.DirectorySeparatorChar);
            if (parts.Length == 3 && parts[1] == "Events") events.Add(parts[0], Path.GetFileNameWithoutExtension(parts[2]));
        }

        return events;
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void An_event_is_published_only_by_the_service_that_owns_it(string owner, string @event)
    {
        // The Integrations' plugins run inside the Integrations and publish as them.
        string[] allowed = owner == "Integrations" ? [$"services/{owner}/", "plugins/"] : [$"services/{owner}/"];
        var construction = new Regex($@"\bnew {Regex.Escape(@event)}\(");
        var publishers = SourceFiles.Under(Root, "services", "shared", "plugins", "bench")
            .Where(f => construction.IsMatch(f.Text))
            .Select(f => f.Relative.Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !allowed.Any(a => f.StartsWith(a, StringComparison.Ordinal)))
            .ToList();

        Assert.Empty(publishers);
    }

    private static bool IsRecord(Type type) => type.IsClass && type.GetMethod("<Clone>$") is not null;

    /// <summary>A static class of constants a message field takes (and predicates over them), like <see cref="JobStatus"/>.</summary>
    private static bool IsVocabulary(Type type) =>
        type is { IsAbstract: true, IsSealed: true }
        && type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .All(f => f.IsLiteral || (f.IsInitOnly && f.FieldType == typeof(IReadOnlyList<string>)))
        && type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).All(m => m.ReturnType == typeof(bool));
}
