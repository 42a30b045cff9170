using Jobs.Auditor.ReadModel;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using Jobs.Reporting.Queries;
using StackExchange.Redis;

namespace Jobs.Reporting.JobDetails;

/// <summary>The jobs below a node, by state: finished ones (done, failed), running now, and spawned but neither (waiting).</summary>
public sealed record TreeCounts(long Done, long Failed, long Running, long Waiting);

/// <summary>
/// A node of a job tree. <see cref="Kind"/>: <c>root</c> (the root job, its entry run folded in), <c>entry</c> (the entry run, when asked for
/// by its id), <c>child</c> or <c>continuation</c>. <see cref="Status"/>: <c>Completed</c>, <c>Failed</c>, <c>Running</c> (being run now) or,
/// for the root, the root's status. <see cref="Counts"/> are of the node's descendants, not of the node itself.
/// </summary>
public sealed record TreeNode(
    Guid Id,
    Guid? ParentId,
    string Task,
    int Generation,
    string Status,
    string Kind,
    int? Attempts,
    string? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long? DurationMs,
    int? Spawned,
    bool HasChildren,
    TreeCounts Counts);

/// <summary><c>GET /jobs/{id}/tree</c>: a node, one page of its children, and how many of its children have not started yet.</summary>
public sealed record JobTreeResponse(TreeNode Node, Paged<TreeNode> Children, long Waiting);

/// <summary>
/// A level of a root job's tree, from the owners' records: finished jobs from the audit trail (the Auditor's read model), jobs running now
/// from the Integrations' running record, the root's status and counts from the Integrator's read model. Jobs not started yet exist only
/// as a count (what a finished job spawned less what finished or runs).
/// </summary>
public sealed class JobTreeQueries(AuditTrailReader audit, IConnectionMultiplexer redis)
{
    public const int MaxPageSize = 200;

    private const string NodeKindRoot = "root";
    private const string NodeKindEntry = "entry";
    private const string NodeKindChild = "child";
    private const string NodeKindContinuation = "continuation";

    /// <summary>The tree at <paramref name="nodeId"/> (null: the root); null when the root's tree holds no such node.</summary>
    public async Task<JobTreeResponse?> GetAsync(Guid rootJobId, RootJobView root, Guid? nodeId, int page, int pageSize,
        CancellationToken cancellationToken)
    {
        var entryId = TreeRules.Entry(rootJobId).ChildJobId;
        var entryTask = audit.TreeJobAsync(rootJobId, entryId, cancellationToken);
        var runningTask = RunningAsync(rootJobId, cancellationToken);
        var node = nodeId is { } asked && asked != rootJobId && asked != entryId ? audit.TreeJobAsync(rootJobId, asked, cancellationToken) : null;
        await Task.WhenAll(entryTask, runningTask, node ?? Task.FromResult<AuditedTreeJob?>(null));
        var (entry, running) = (await entryTask, await runningTask);

        // The root and its entry run are one node of the tree: the entry is the root's only job of generation 0, whose children are the
        // root's first level, and the root's counts (the Integrator's) are exactly those of the entry's descendants.
        Guid parent;
        TreeNode self;
        if (nodeId is null || nodeId == rootJobId || nodeId == entryId)
        {
            parent = entryId;
            var runningCount = running.Count(r => r.ChildJobId != entryId);
            var counts = new TreeCounts(root.Completed, root.Failed, runningCount,
                Math.Max(0, root.Total - root.Completed - root.Failed - runningCount));
            var runningEntry = running.FirstOrDefault(r => r.ChildJobId == entryId);
            self = RootNode(rootJobId, root, entry, runningEntry, counts);
            if (nodeId == entryId)
                self = entry is null && runningEntry is null
                    ? self with { Id = entryId, ParentId = rootJobId, Kind = NodeKindEntry } // not started yet: the root's status is its
                    : Node(rootJobId, entry, runningEntry, entryId, rootJobId, counts);
        }
        else
        {
            var finished = await node!;
            var runningNode = finished is null ? running.FirstOrDefault(r => r.ChildJobId == nodeId) : null;
            if (finished is null && runningNode is null) return null;
            parent = nodeId.Value;
            self = Node(rootJobId, finished, runningNode, nodeId.Value, finished?.ParentJobId ?? runningNode!.ParentJobId, Empty);
        }

        var runningChildren = running.Where(r => r.ParentJobId == parent).OrderBy(r => r.ChildJobId).ToList();
        var offset = (page - 1L) * pageSize;
        var runningSlice = runningChildren.Skip((int)Math.Min(offset, int.MaxValue)).Take(pageSize).ToList();
        var finishedChildren = await audit.TreeChildrenAsync(rootJobId, parent, Math.Max(0, offset - runningChildren.Count), pageSize - runningSlice.Count,
            cancellationToken);

        var tops = runningSlice.Select(r => r.ChildJobId).Concat(finishedChildren.Items.Select(c => c.JobId)).ToList();
        if (self.Kind is not (NodeKindRoot or NodeKindEntry)) tops.Add(self.Id);
        var subtrees = await audit.SubtreesAsync(rootJobId, tops, running.Select(r => new RunningTreeJob(r.ChildJobId, r.ParentJobId)).ToList(),
            cancellationToken);
        TreeCounts CountsOf(Guid id) => subtrees.TryGetValue(id, out var s) ? new TreeCounts(s.Done, s.Failed, s.Running, s.Waiting) : Empty;

        if (self.Kind is not (NodeKindRoot or NodeKindEntry)) self = self with { Counts = CountsOf(self.Id) };
        var items = runningSlice.Select(r => Node(rootJobId, null, r, r.ChildJobId, r.ParentJobId, CountsOf(r.ChildJobId)))
            .Concat(finishedChildren.Items.Select(c => Node(rootJobId, c, null, c.JobId, c.ParentJobId, CountsOf(c.JobId))))
            .ToList();
        var expected = parent == entryId ? Expected(entry) : Expected(nodeId is null ? null : await node!);
        var total = runningChildren.Count + finishedChildren.Total;
        var waiting = Math.Max(0, expected - total);
        self = self with { HasChildren = self.HasChildren || total > 0 || waiting > 0 };
        return new JobTreeResponse(self, new Paged<TreeNode>(items, page, pageSize, total), waiting);
    }

    private static readonly TreeCounts Empty = new(0, 0, 0, 0);

    /// <summary>The children (and continuation) a finished job spawned; 0 for a job still running (what it spawns is not known yet).</summary>
    private static long Expected(AuditedTreeJob? job) => job is null ? 0 : job.Spawned + (job.HasContinuation ? 1 : 0);

    /// <summary>The root's children being run now; a job whose outcome is already audited (the record is removed after it) is not running.</summary>
    private async Task<IReadOnlyList<ChildJob>> RunningAsync(Guid rootJobId, CancellationToken cancellationToken)
    {
        var running = await Runs.RunningChildrenAsync(redis.GetDatabase(), rootJobId);
        if (running.Count == 0) return running;
        var finished = await audit.FinishedAmongAsync(rootJobId, running.Select(r => r.ChildJobId).ToList(), cancellationToken);
        return running.Where(r => !finished.Contains(r.ChildJobId)).ToList();
    }

    private static string KindOf(Guid rootJobId, Guid id, Guid parentId) =>
        TreeRules.IsEntry(rootJobId, id) ? NodeKindEntry : TreeRules.IsContinuation(id, parentId) ? NodeKindContinuation : NodeKindChild;

    private static TreeNode RootNode(Guid rootJobId, RootJobView root, AuditedTreeJob? entry, ChildJob? runningEntry, TreeCounts counts) =>
        new(rootJobId, null, entry?.Task ?? runningEntry?.Task ?? IntegrationTasks.Entry, 0, root.Status, NodeKindRoot, entry?.Attempts,
            root.Error ?? entry?.Error, root.StartedAt, root.FinishedAt,
            root is { StartedAt: { } started, FinishedAt: { } finished } ? (long)(finished - started).TotalMilliseconds : null, entry?.Spawned,
            root.Total > 0 || Expected(entry) > 0, counts);

    private static TreeNode Node(Guid rootJobId, AuditedTreeJob? finished, ChildJob? running, Guid id, Guid parentId, TreeCounts counts) =>
        finished is not null
            ? new TreeNode(id, parentId, finished.Task, finished.Generation, finished.Status, KindOf(rootJobId, id, parentId), finished.Attempts,
                finished.Error, finished.StartedAt, finished.FinishedAt, finished.DurationMs, finished.Spawned,
                Expected(finished) > 0 || counts.Done + counts.Failed + counts.Running > 0, counts)
            : new TreeNode(id, parentId, running?.Task ?? IntegrationTasks.Entry, running?.Generation ?? 0, JobStatus.Running,
                KindOf(rootJobId, id, parentId), null, null, null, null, null, null, counts.Done + counts.Failed + counts.Running > 0, counts);
}
