using System.Text.RegularExpressions;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>
/// Options are bound one way: <c>AddOptions&lt;T&gt;().BindConfiguration(section)</c>, validated at start, consumed as
/// <c>IOptions&lt;T&gt;</c>. The code checked here reads no configuration raw: no <c>Configure&lt;T&gt;(...GetSection(...))</c>
/// or <c>Bind(...GetSection(...))</c>, no indexer reads (<c>configuration[...]</c>, <c>section[...]</c>), no
/// <c>GetValue</c>, and no constructor that takes an <c>IConfiguration</c>.
/// </summary>
/// <remarks>
/// Scope: every service, shared library and plugin. Connection strings are read in one place,
/// <c>shared/ServiceDefaults/Connections.cs</c>, by binding <c>ConnectionOptions</c> (not by raw reads), so they need no
/// exception here.
/// </remarks>
public sealed partial class OptionsPatternTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    /// <summary>The folders whose code must read configuration through bound options only.</summary>
    private static readonly string[] Checked =
        ["services", "shared", "plugins"];

    /// <summary>Raw reads that must stay, each with the reason: (file, rule, why).</summary>
    private static readonly (string File, string Rule, string Why)[] Allowed =
    [
        // A declared schedule's Settings is free-form JSON (its shape is the platform's schema), which the binder cannot
        // bind; the Schedules section is read in ScheduleOptions' configure step and validated at start like any option.
        ("services/Scheduler/Schedules/ScheduleOptions.cs", nameof(IndexerRead), "free-form schedule settings"),
        // The standard OpenTelemetry variables (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL) are not a section, and whether an exporter is
        // added is decided while the services are registered; they are validated at start with the Tracing options.
        ("shared/ServiceDefaults/Tracing.cs", nameof(IndexerRead), "the standard OTEL_* variables"),
        // The one helper itself.
        ("shared/ServiceDefaults/OptionsValidation.cs", nameof(BindingByHand), "AddValidatedOptions binds this way"),
    ];

    [GeneratedRegex(@"\b(Configure<[^>]+>|Bind)\(\s*[\w.]*GetSection\(")]
    private static partial Regex ConfigureFromSection();

    [GeneratedRegex(@"(?i)\b\w*(configuration|section)\s*\[")]
    private static partial Regex IndexerRead();

    [GeneratedRegex(@"\bGetValue<|\.GetValue\([^()]*,|(?i:configuration)\s*\.\s*GetValue\(")]
    private static partial Regex GetValue();

    /// <summary>Binding by hand what <c>OptionsValidation.AddValidatedOptions</c> binds and validates in one call.</summary>
    [GeneratedRegex(@"\bAddOptions<[^>]+>\(\)\s*\.\s*(BindConfiguration|Bind)\(")]
    private static partial Regex BindingByHand();

    [GeneratedRegex(@"\b(?:class|record|struct)\s+(?<name>\w+)")]
    private static partial Regex TypeDeclaration();

    private static readonly Dictionary<string, Regex> Rules = new()
    {
        [nameof(ConfigureFromSection)] = ConfigureFromSection(),
        [nameof(IndexerRead)] = IndexerRead(),
        [nameof(GetValue)] = GetValue(),
        [nameof(BindingByHand)] = BindingByHand(),
    };

    /// <summary>The code of a file without its comments (documentation may name what the code must not do).</summary>
    private static string Code(string text) =>
        string.Join('\n', text.Split('\n').Select(line => line.TrimStart().StartsWith("//", StringComparison.Ordinal) ? "" : line));

    private static IEnumerable<(string File, string Code)> CheckedFiles() =>
        SourceFiles.Under(Root, Checked).Select(f => (f.Relative.Replace(Path.DirectorySeparatorChar, '/'), Code(f.Text)));

    /// <summary>Every raw configuration read in <paramref name="code"/>, as (rule, line).</summary>
    public static IEnumerable<(string Rule, string Line)> RawReads(string code)
    {
        foreach (var (rule, regex) in Rules)
            foreach (Match match in regex.Matches(code))
                yield return (rule, LineAt(code, match.Index));

        foreach (var name in TypeDeclaration().Matches(code).Select(m => m.Groups["name"].Value).Distinct())
        {
            // A primary constructor (class Name(...)) or a constructor (modifier Name(...) followed by a body or an initializer).
            var constructor = new Regex($@"(\b(?:class|record|struct)\s+{name}\s*(?:<[^>]*>)?\s*|\b(?:public|internal|protected|private)\s+{name}\s*)\((?<parameters>[^)]*)\)");
            foreach (Match match in constructor.Matches(code))
            {
                if (Regex.IsMatch(match.Groups["parameters"].Value, @"\bIConfiguration(Section|Root)?\s+\w+"))
                    yield return ("IConfigurationConstructorParameter", LineAt(code, match.Index));
            }
        }
    }

    private static string LineAt(string code, int index)
    {
        var start = code.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var end = code.IndexOf('\n', index);
        return code[start..(end < 0 ? code.Length : end)].Trim();
    }

    [Fact]
    public void Services_libraries_and_plugins_read_configuration_only_through_bound_options()
    {
        var found = CheckedFiles()
            .SelectMany(f => RawReads(f.Code).Select(r => (f.File, r.Rule, r.Line)))
            .Where(r => !Allowed.Any(a => a.File == r.File && a.Rule == r.Rule))
            .Select(r => $"{r.File}: {r.Rule}: {r.Line}")
            .ToList();

        Assert.True(found.Count == 0, "Raw configuration reads (bind an options class instead):\n" + string.Join('\n', found));
    }

    [Fact]
    public void Every_allowed_raw_read_is_still_there_so_the_allow_list_stays_honest()
    {
        var files = CheckedFiles().ToDictionary(f => f.File, f => f.Code);

        Assert.All(Allowed, a => Assert.Contains(RawReads(files.GetValueOrDefault(a.File, "")), r => r.Rule == a.Rule));
    }

    [Theory]
    [InlineData("services.Configure<RedditOptions>(configuration.GetSection(\"Reddit\"));", "ConfigureFromSection")]
    [InlineData("services.AddOptions<X>().Bind(builder.Configuration.GetSection(\"Integrations\"));", "ConfigureFromSection")]
    [InlineData("var key = configuration[\"Security:AdminKey\"];", "IndexerRead")]
    [InlineData("var url = builder.Configuration[Connections.PostgresKey];", "IndexerRead")]
    [InlineData("var max = app.Configuration.GetValue(MaxBytesKey, DefaultMaxBytes);", "GetValue")]
    [InlineData("var age = configuration.GetValue<TimeSpan>(\"Scheduler:MaxRunAge\");", "GetValue")]
    [InlineData("public sealed class Sweeper(IBus bus, IConfiguration configuration) : BackgroundService", "IConfigurationConstructorParameter")]
    [InlineData("public class Sweeper\n{\n    public Sweeper(IConfiguration configuration)\n    {\n    }\n}", "IConfigurationConstructorParameter")]
    [InlineData("services.AddOptions<X>().BindConfiguration(X.Section).ValidateDataAnnotations().ValidateOnStart();", "BindingByHand")]
    public void Each_kind_of_raw_read_is_recognised(string code, string rule)
    {
        Assert.Contains(RawReads(code), r => r.Rule == rule);
    }

    [Theory]
    [InlineData("services.AddValidatedOptions<X>(X.Section).ValidateProblems(o => o.Problems());")]
    [InlineData("services.AddOptions<AuthorizationOptions>().Configure<IOptions<SecurityOptions>>((a, s) => Operations.AddPolicies(a, s.Value));")]
    [InlineData("public sealed class ApiKeys(IConnectionMultiplexer redis, IOptions<SecurityOptions> options)")]
    [InlineData("var value = property.GetValue(defaults);")]
    [InlineData("generations.Add(reader.GetValue(1));")]
    [InlineData("if (!Columns.TryGetValue(sort, out var order)) return;")]
    public void Options_and_look_alikes_are_not_raw_reads(string code)
    {
        Assert.Empty(RawReads(code));
    }
}
