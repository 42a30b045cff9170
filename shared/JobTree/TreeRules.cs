using Jobs.Contracts;

namespace Jobs.JobTree;

/// <summary>A job the root waits for because a finished job spawned it (a child or a continuation), as the tree rules derive it.</summary>
public sealed record ExpectedJob(Guid ChildJobId, Guid ParentJobId, Guid GroupId, int Generation)
{
    /// <summary>This job as the message that runs it.</summary>
    public ChildJob Run(string task, System.Text.Json.JsonElement settings) => new(ChildJobId, ParentJobId, GroupId, Generation, task, settings);
}

/// <summary>
/// The rules of the job tree in one place: which group a job's children join, which group its continuation joins, and
/// which jobs a finished job makes the root wait for. The Integrations (spawning), the Integrator's ledger (counting)
/// and the Auditor's stuck-job sweeper (repair) all decide by these, so they cannot disagree.
/// <para>
/// A <em>group</em> is the job whose completion waits for its members: the root, or a job that spawned children
/// together with a continuation. Children of a job without a continuation join the job's own group; children of a job
/// with a continuation form a new group owned by that job, and the continuation joins the job's group (so it runs
/// after the children, and the group it joins waits for it).
/// </para>
/// </summary>
public static class TreeRules
{
    /// <summary>The group the children of a job in <paramref name="groupId"/> join.</summary>
    public static Guid ChildrenGroup(Guid jobId, Guid groupId, bool hasContinuation) => hasContinuation ? jobId : groupId;

    /// <summary>The group a job's continuation joins: the job's own.</summary>
    public static Guid ContinuationGroup(Guid groupId) => groupId;

    /// <summary>The spawned children of a job: ids <see cref="JobIds.Child"/>(job, 0..n-1), one generation below it.</summary>
    public static ChildJob Child(Guid jobId, Guid groupId, int generation, bool hasContinuation, int index, string task, System.Text.Json.JsonElement settings) =>
        new(JobIds.Child(jobId, index), jobId, ChildrenGroup(jobId, groupId, hasContinuation), generation + 1, task, settings);

    /// <summary>The root's entry job: the root's only job of generation 0, in the root's group.</summary>
    public static ExpectedJob Entry(Guid rootJobId) => new(JobIds.Entry(rootJobId), rootJobId, rootJobId, 0);

    /// <summary>The continuation of <paramref name="jobId"/>: id <see cref="JobIds.Continuation"/>, in the job's own group.</summary>
    public static ExpectedJob Continuation(Guid jobId, Guid groupId, int generation) =>
        new(JobIds.Continuation(jobId), jobId, ContinuationGroup(groupId), generation + 1);

    /// <summary>Whether <paramref name="jobId"/> is the entry job of the root <paramref name="rootJobId"/>.</summary>
    public static bool IsEntry(Guid rootJobId, Guid jobId) => jobId == JobIds.Entry(rootJobId);

    /// <summary>Whether <paramref name="jobId"/> is the continuation of the job <paramref name="parentJobId"/> (not one of its spawned children).</summary>
    public static bool IsContinuation(Guid jobId, Guid parentJobId) => jobId == JobIds.Continuation(parentJobId);

    /// <summary>What a job that completed having spawned <paramref name="spawned"/> children (and maybe a continuation) makes the root wait for.</summary>
    public static IEnumerable<ExpectedJob> Spawned(Guid jobId, Guid groupId, int generation, int spawned, bool hasContinuation)
    {
        var childrenGroup = ChildrenGroup(jobId, groupId, hasContinuation);
        for (var i = 0; i < spawned; i++) yield return new ExpectedJob(JobIds.Child(jobId, i), jobId, childrenGroup, generation + 1);
        if (hasContinuation) yield return Continuation(jobId, groupId, generation);
    }
}
