using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using StackExchange.Redis;

namespace Jobs.Integrator.Ledger;

/// <summary>One running root as the index and its read model show it.</summary>
/// <param name="Outstanding">Children registered and not counted yet (the entry run excluded).</param>
/// <param name="LastProgressAt">The latest of its start, its last counted outcome and the last progress a run reported.</param>
public sealed record RunningRoot(Guid RootJobId, string Platform, long Outstanding, DateTimeOffset LastProgressAt);

/// <summary>
/// The index of running roots: a sorted set <c>jobs:running</c> (member: the root's id, score: the Unix milliseconds of its
/// start or of its last counted outcome), written by the ledger alone. The root job metrics are computed from it and the
/// roots' read models on every scrape, so they are right across restarts and however many Integrators run.
/// </summary>
/// <remarks>
/// The set has no hash tag of a root (it spans all of them), so it is never touched inside a root's scripts: it is written
/// beside them. A member whose root has ended or expired is removed when it is next read.
/// </remarks>
public sealed class RunningRoots(IConnectionMultiplexer redis)
{
    private static readonly RedisKey Key = "jobs:running";

    /// <summary>At most this many running roots are read per scrape (the oldest progress first).</summary>
    public const int MaxRead = 10_000;

    private IDatabase Database => redis.GetDatabase();

    public Task AddAsync(Guid rootJobId, DateTimeOffset startedAt) =>
        Database.SortedSetAddAsync(Key, Member(rootJobId), startedAt.ToUnixTimeMilliseconds(), SortedSetWhen.NotExists);

    /// <summary>Moves the root's progress time forward (only for a root still in the index; never backwards). Not awaited.</summary>
    public void Progressed(Guid rootJobId, DateTimeOffset at) =>
        Database.SortedSetAdd(Key, Member(rootJobId), at.ToUnixTimeMilliseconds(), SortedSetWhen.Exists | SortedSetWhen.GreaterThan,
            CommandFlags.FireAndForget);

    public Task RemoveAsync(IDatabaseAsync batch, Guid rootJobId) => batch.SortedSetRemoveAsync(Key, Member(rootJobId));

    /// <summary>Every running root (at most <see cref="MaxRead"/>), read in one pipelined round trip; ended or expired ones are removed.</summary>
    public async Task<IReadOnlyList<RunningRoot>> ListAsync()
    {
        var database = Database;
        var members = await database.SortedSetRangeByRankWithScoresAsync(Key, 0, MaxRead - 1);
        var roots = members.Select(m => Guid.TryParseExact(m.Element.ToString(), "N", out var id) ? (Id: id, m.Score) : (Id: Guid.Empty, m.Score))
            .Where(m => m.Id != Guid.Empty).ToList();
        var batch = database.CreateBatch();
        var reads = roots.Select(r => (r.Id, r.Score, View: RootJobReader.GetAsync(batch, r.Id), Progress: Runs.LastProgressAtAsync(batch, r.Id))).ToList();
        batch.Execute();
        await Task.WhenAll(reads.SelectMany(r => new Task[] { r.View, r.Progress }));

        var running = new List<RunningRoot>();
        var gone = new List<RedisValue>();
        foreach (var (id, score, view, progress) in reads)
        {
            var root = await view;
            if (root is null || JobStatus.HasEnded(root.Status))
            {
                gone.Add(Member(id));
                continue;
            }

            var counted = DateTimeOffset.FromUnixTimeMilliseconds((long)score);
            var last = await progress is { } reported && reported > counted ? reported : counted;
            running.Add(new RunningRoot(id, root.Platform, Math.Max(0, root.Total - root.Completed - root.Failed), last));
        }

        if (gone.Count > 0) await database.SortedSetRemoveAsync(Key, gone.ToArray());
        return running;
    }

    private static RedisValue Member(Guid rootJobId) => rootJobId.ToString("N");
}
