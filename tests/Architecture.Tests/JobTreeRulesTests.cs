using System.Text.RegularExpressions;
using Jobs.TestSupport;

namespace Jobs.Architecture.Tests;

/// <summary>The job tree's rules (ids, groups, continuations) are written once, in shared/JobTree, and used by everyone.</summary>
public sealed partial class JobTreeRulesTests
{
    private static readonly string Root = ServiceSystem.RepositoryRoot();

    [Fact]
    public void Only_the_job_tree_library_derives_job_ids_and_builds_jobs_of_the_tree()
    {
        // Deriving an id (JobIds.Child/Entry/Continuation) or building a ChildJob by hand is deciding a tree rule:
        // outside shared/JobTree that is a second copy of it.
        var offenders = SourceFiles.Under(Root, "services", "shared", "plugins")
            .Where(f => !f.Path.StartsWith(Path.Combine(Root, "shared", "JobTree"), StringComparison.Ordinal))
            .SelectMany(f => TreeRule().Matches(f.Text).Select(m => $"{f.Relative}: {m.Value}"))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_ledger_script_takes_the_childrens_group_from_the_caller_instead_of_deriving_it()
    {
        var ledger = File.ReadAllText(Path.Combine(Root, "services", "Integrator", "Ledger", "JobLedger.cs"));
        Assert.Contains("TreeRules.ChildrenGroup(", ledger, StringComparison.Ordinal);
        // The script once counted a spawner's children in the spawner's own id when it had a continuation.
        Assert.DoesNotContain("HINCRBY', groups, child", ledger, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"JobIds\.(Child|Entry|Continuation)\(|new ChildJob\(")]
    private static partial Regex TreeRule();
}
