using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>
/// The Auditor owns its tables (one schema source, named only by the Auditor and its read model) and the stuck-job
/// detection; ending a root is the Integrator's, and no service publishes another service's event.
/// </summary>
public sealed partial class AuditorOwnershipTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();
    private static readonly string Auditor = Path.Combine(Root, "services", "Auditor") + Path.DirectorySeparatorChar;
    private static readonly string AuditorReadModel = Path.Combine(Root, "services", "Auditor.ReadModel") + Path.DirectorySeparatorChar;

    [Fact]
    public void The_audit_tables_are_named_only_by_the_Auditor_and_its_read_model()
    {
        var offenders = SourceFiles.Matching(Root, ["*.cs", "*.sql"], "services", "shared", "plugins", "bench")
            .Where(f => !f.Path.StartsWith(Auditor, StringComparison.Ordinal) && !f.Path.StartsWith(AuditorReadModel, StringComparison.Ordinal))
            .SelectMany(f => AuditTable().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}"))
            .Distinct()
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_Auditor_has_one_schema_source_its_numbered_SQL_migrations()
    {
        var project = XDocument.Load(Path.Combine(Auditor, "Auditor.csproj"));
        Assert.DoesNotContain(project.Descendants("PackageReference"),
            r => r.Attribute("Include")!.Value.Contains("EntityFrameworkCore", StringComparison.Ordinal));

        var auditorSources = SourceFiles.Under(Root, Path.Combine("services", "Auditor")).ToList();
        Assert.NotEmpty(auditorSources);
        Assert.Empty(auditorSources.Where(f => f.Text.Contains("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                                               || DbContext().IsMatch(f.Text)).Select(f => f.Relative));
        // The audit tables' DDL lives only in the migrations: never in C# (the runner creates only its own history table).
        Assert.Empty(SourceFiles.Under(Root, "services", "shared", "plugins", "bench")
            .SelectMany(f => AuditDdl().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}")));
        var migrations = Directory.GetFiles(Path.Combine(Auditor, "Audit", "Schema"), "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(migrations.Select((_, i) => $"{i + 1:D4}_"), migrations.Select(m => m![..5]));
    }

    [Fact]
    public void The_Auditors_read_model_only_reads()
    {
        var writes = SourceFiles.Under(Root, Path.Combine("services", "Auditor.ReadModel"))
            .SelectMany(f => SqlWrite().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}"))
            .ToList();

        Assert.Empty(writes);
    }

    public static TheoryData<string> ServicesButTheAuditor() => new(ServiceSystem.Names.Where(n => n != "Auditor"));

    [Theory]
    [MemberData(nameof(ServicesButTheAuditor))]
    public void A_built_service_other_than_the_Auditor_carries_no_SQL_over_the_audit_tables(string service)
    {
        var dll = Directory.GetFiles(Path.Combine(Root, "services", service, "bin"), $"{service}.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        using var stream = File.OpenRead(dll);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var strings = new List<string>();
        for (var handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = metadata.GetNextHandle(handle))
            strings.Add(metadata.GetUserString(handle));

        Assert.NotEmpty(strings);
        Assert.DoesNotContain(strings, s => AuditTable().IsMatch(s));
    }

    [GeneratedRegex(@"\b(root_jobs|child_jobs|job_events|root_job_generations|data_measurements|auditor_schema_migrations)\b")]
    private static partial Regex AuditTable();

    /// <summary>Reading configuration by hand: a raw <c>IConfiguration</c>, <c>GetValue</c>/<c>GetSection</c>, <c>Configure&lt;T&gt;(section)</c>, an indexer.</summary>

    [GeneratedRegex(@"\bDbContext\b|\bDbSet<")]
    private static partial Regex DbContext();

    [GeneratedRegex(@"\b(CREATE|ALTER|DROP)\s+(UNIQUE\s+)?(TABLE|INDEX)\b[^;]*?\b(root_jobs|child_jobs|job_events|root_job_generations|data_measurements)\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex AuditDdl();

    [GeneratedRegex(@"\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE|CREATE\s+TABLE|ALTER\s+TABLE|DROP\s+TABLE)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SqlWrite();
}
