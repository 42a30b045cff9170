using System.Reflection;
using System.Xml.Linq;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.TestSupport;
using StackExchange.Redis;

namespace Jobs.Architecture.Tests;

/// <summary>
/// Every Redis key family has one owning service: its name is written only in the owner's code, and other services see it
/// only through the owner's read model, whose layout is internal (visible to the owner and to tests, nobody else).
/// </summary>
public sealed class StateOwnershipTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    /// <summary>A key family's name (a fragment of its keys as the code spells it) and the folders allowed to spell it.</summary>
    public static TheoryData<string, string[]> KeyFamilies() => new()
    {
        // The root job hash and the Integrations' families share the root's hash tag prefix.
        { "\"job:{{", ["services/Integrator.ReadModel", "services/Integrations.ReadModel"] },
        { "\":timeout-retries\"", ["services/Integrator.ReadModel"] },
        { "\"jobs:ended\"", ["services/Integrator.ReadModel"] },
        { "\"jobs:running\"", ["services/Integrator"] },
        { "\":done\"", ["services/Integrator"] },
        { "\":groups\"", ["services/Integrator"] },
        { "\":conts\"", ["services/Integrator"] },
        { "\":batches\"", ["services/Integrator"] },
        { "\":progress\"", ["services/Integrations.ReadModel"] },
        { "\":datasets\"", ["services/Integrations.ReadModel"] },
        { "\":failed\"", ["services/Integrations.ReadModel"] },
        { "\":running\"", ["services/Integrations.ReadModel"] },
        { "\":batch-starts\"", ["services/Integrations.ReadModel"] },
        { "\"integrations:workers\"", ["services/Integrations.ReadModel"] },
        { "\"reporting:accepted:", ["services/Reporting"] },
        { "\"reporting:data-protection-keys\"", ["services/Reporting"] },
        { "\"idempotency:", ["services/Reporting"] },
    };

    [Theory]
    [MemberData(nameof(KeyFamilies))]
    public void A_key_family_is_spelled_only_in_its_owners_code(string fragment, string[] owners)
    {
        var needle = fragment.Replace("{{", "{", StringComparison.Ordinal);
        var spelled = SourceFiles.Under(Root, "services", "shared", "plugins", "bench")
            .Where(f => f.Text.Contains(needle, StringComparison.Ordinal))
            .Select(f => f.Relative.Replace(Path.DirectorySeparatorChar, '/'))
            .ToList();

        Assert.NotEmpty(spelled);
        Assert.All(spelled, file => Assert.Contains(owners, owner => file.StartsWith(owner + "/", StringComparison.Ordinal)));
    }

    public static TheoryData<string, string> ReadModels() => new()
    {
        { "services/Integrator.ReadModel/Integrator.ReadModel.csproj", "Integrator" },
        { "services/Integrations.ReadModel/Integrations.ReadModel.csproj", "Integrations" },
    };

    [Theory]
    [MemberData(nameof(ReadModels))]
    public void A_read_models_key_layout_is_visible_to_its_owner_and_tests_only(string project, string owner)
    {
        var friends = XDocument.Load(Path.Combine(Root, project)).Descendants("InternalsVisibleTo")
            .Select(e => e.Attribute("Include")!.Value).ToList();

        Assert.Contains(owner, friends);
        Assert.All(friends.Where(f => f != owner), f => Assert.EndsWith(".Tests", f, StringComparison.Ordinal));
    }

    public static TheoryData<string> ReadModelAssemblies() => new() { typeof(RootJobReader).Assembly.GetName().Name!, typeof(Runs).Assembly.GetName().Name! };

    [Theory]
    [MemberData(nameof(ReadModelAssemblies))]
    public void A_read_model_publishes_readers_and_views_but_no_key(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var keys = assembly.GetExportedTypes()
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m switch
            {
                MethodInfo method => method.ReturnType == typeof(RedisKey) || (method.ReturnType == typeof(string) && method.Name.Contains("Key", StringComparison.Ordinal)),
                PropertyInfo property => property.PropertyType == typeof(RedisKey) || (property.PropertyType == typeof(string) && property.Name.Contains("Key", StringComparison.Ordinal)),
                FieldInfo field => field.FieldType == typeof(RedisKey) || field.FieldType == typeof(string),
                _ => false,
            })
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .ToList();

        Assert.Empty(keys);
        Assert.DoesNotContain(assembly.GetExportedTypes(), t => t.Name.EndsWith("Keys", StringComparison.Ordinal));
    }
}
