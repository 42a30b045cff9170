using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using Jobs.Platforms;
using StackExchange.Redis;

namespace Jobs.Integrator.Ledger;

/// <summary>A continuation whose children have all finished: it must be sent now (<see cref="Expected"/>: its id, parent, group and generation by <see cref="TreeRules.Continuation"/>).</summary>
public sealed record ContinuationDue(ExpectedJob Expected, ContinuationJob Job)
{
    public Guid SpawnerJobId => Expected.ParentJobId;
}

/// <param name="Failure">Why the root fails whatever its counts (<see cref="RootJobKeys.Failure"/>), once a child whose failure fails it has failed.</param>
/// <param name="FailedBy">The child of this batch whose failure first failed the root, if it was one of this batch.</param>
/// <param name="CountedSucceeded">Children (generation 1 and deeper) this call counted as succeeded for the first time: 0 for a redelivered batch.</param>
/// <param name="CountedFailed">Children this call counted as failed for the first time: 0 for a redelivered batch.</param>
/// <param name="EntryError">Why the root's entry run failed (<see cref="RootJobKeys.EntryError"/>), if it did, read in the same script.</param>
public sealed record LedgerResult(long Total, long Completed, long Failed, bool RootFinished, IReadOnlyList<ContinuationDue> Continuations,
    string? Failure = null, Guid? FailedBy = null, long CountedSucceeded = 0, long CountedFailed = 0, string? EntryError = null);

/// <summary>
/// Per-root bookkeeping of children in Redis, one script call per batch of outcomes.
/// <para>
/// Keys (all with the root's hash tag): <c>job:{R}</c> the read model with the counters, <c>:done</c> the
/// ids of finished children (and of the root), <c>:groups</c> the number of unfinished registered members
/// of each group (the root, or a spawner with a continuation), <c>:early</c> per parent the children that
/// finished before the parent's own outcome registered them, <c>:conts</c> the continuations waiting for
/// their group, <c>:batches</c> the actions decided for each processed message (so a redelivery repeats
/// the sends it may have missed and changes no counter).
/// </para>
/// A group can only reach zero once its owner is in <c>:done</c>, so a root or a continuation never fires
/// early, however the outcomes of parents and children race.
/// <para>
/// The first counted failure of a child that fails the root (one the caller marks required, or any under the
/// <see cref="FailurePolicy.FailFast"/> policy the root was started with) records its reason in the read model's
/// <see cref="RootJobKeys.Failure"/>, in the same script: exactly one child is the one that failed the root.
/// </para>
/// </summary>
public sealed class JobLedger(IConnectionMultiplexer redis)
{
    private readonly RunningRoots _running = new(redis);

    public static readonly TimeSpan BatchMemory = TimeSpan.FromDays(7);

    private static readonly RedisChannel EndedChannel = RootJobReader.EndedChannel;

    private const string InitScript = """
        if redis.call('HSETNX', KEYS[1], 'initialized', '1') == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'status', 'Running', 'platform', ARGV[2], 'schedule', ARGV[3], 'startedAt', ARGV[4],
          'total', 0, 'completed', 0, 'failed', 0, 'failurePolicy', ARGV[5])
        if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'retryOf', ARGV[6]) end
        if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'hooks:tasks', ARGV[7]) end
        redis.call('SADD', KEYS[2], ARGV[1])
        redis.call('HSET', KEYS[3], ARGV[1], 1)
        return 1
        """;

    private const string RecordScript = """
        local job, done, groups, early, conts, batches = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
        local batch, root = ARGV[1], ARGV[2]
        local memo = redis.call('HGET', batches, batch)
        if memo then
          local c = redis.call('HMGET', job, 'total', 'completed', 'failed', 'failure', 'entryError')
          return {c[1], c[2], c[3], memo, c[4], 0, 0, c[5]}
        end
        local failFast = redis.call('HGET', job, 'failurePolicy') == 'fail_fast'
        local actions = {}
        local countedOk, countedFailed = 0, 0
        local function settle(g)
          if tonumber(redis.call('HGET', groups, g) or '0') ~= 0 or redis.call('SISMEMBER', done, g) == 0 then return end
          redis.call('HDEL', groups, g)
          if g == root then
            if redis.call('HSETNX', job, 'childrenFinished', '1') == 1 then table.insert(actions, 'root') end
          else
            local c = redis.call('HGET', conts, g)
            if c then
              redis.call('HDEL', conts, g)
              table.insert(actions, g .. '|' .. c)
            end
          end
        end
        local n = tonumber(ARGV[3])
        local i = 4
        for _ = 1, n do
          local child, parent, group, gen, ok, spawned, cont, required, task, err, kids =
            ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4], tonumber(ARGV[i + 5]), ARGV[i + 6],
            ARGV[i + 7], ARGV[i + 8], ARGV[i + 9], ARGV[i + 10]
          i = i + 11
          if redis.call('SADD', done, child) == 1 then
            if gen > 0 then
              if ok == '1' then
                redis.call('HINCRBY', job, 'completed', 1)
                countedOk = countedOk + 1
              else
                redis.call('HINCRBY', job, 'failed', 1)
                countedFailed = countedFailed + 1
              end
              if ok ~= '1' and required ~= 'stopped' and (required == 'required' or failFast) then
                local reason
                if required == 'required' then reason = "required task '" .. task .. "' failed: " .. err
                else reason = "task '" .. task .. "' failed (failure policy fail_fast): " .. err end
                if redis.call('HSETNX', job, 'failure', reason) == 1 then table.insert(actions, 'failed|' .. child) end
              end
            end
            local e = tonumber(redis.call('HGET', early, child) or '0')
            if e > 0 then redis.call('HDEL', early, child) end
            if cont ~= '' then
              redis.call('HSET', conts, child, cont)
              redis.call('HINCRBY', job, 'total', spawned + 1)
              redis.call('HINCRBY', groups, group, 1)
              redis.call('HINCRBY', groups, kids, spawned - e)
              settle(kids)
            else
              if spawned > 0 then redis.call('HINCRBY', job, 'total', spawned) end
              if spawned - e ~= 0 then redis.call('HINCRBY', groups, kids, spawned - e) end
            end
            if redis.call('SISMEMBER', done, parent) == 1 then
              redis.call('HINCRBY', groups, group, -1)
              settle(group)
            else
              redis.call('HINCRBY', early, parent, 1)
            end
          end
        end
        local encoded = table.concat(actions, '\n')
        redis.call('HSET', batches, batch, encoded)
        redis.call('PEXPIRE', batches, ARGV[#ARGV])
        local c = redis.call('HMGET', job, 'total', 'completed', 'failed', 'failure', 'entryError')
        return {c[1], c[2], c[3], encoded, c[4], countedOk, countedFailed, c[5]}
        """;

    private IDatabase Database => redis.GetDatabase();

    public static string DoneKey(Guid root) => RootJobKeys.Key(root) + ":done";

    private static RedisKey[] Keys(Guid root)
    {
        var job = RootJobKeys.Key(root);
        return [job, job + ":done", job + ":groups", job + ":early", job + ":conts", job + ":batches"];
    }

    /// <summary>
    /// Registers the root with its single entry child, its <see cref="FailurePolicy"/>, the job it retries and its task hooks (read with each
    /// batch's gate by the Integrations processes), if any. Idempotent.
    /// </summary>
    public async Task<bool> StartAsync(Guid rootJobId, string platform, string? schedule, DateTimeOffset startedAt, string failurePolicy = FailurePolicy.Continue,
        Guid? retryOf = null, IReadOnlyList<TaskHook>? taskHooks = null)
    {
        var keys = Keys(rootJobId);
        var started = Database.ScriptEvaluateAsync(InitScript, [keys[0], keys[1], keys[2]],
            [Id(rootJobId), platform, schedule ?? "", startedAt.ToString("O", CultureInfo.InvariantCulture), failurePolicy, retryOf?.ToString() ?? "",
             taskHooks is { Count: > 0 } ? JsonSerializer.Serialize(taskHooks) : ""]);
        // Pipelined with the script (the index is in another hash slot, so not in it), also when the root had been registered: a
        // start redelivered after a crash indexes it then.
        await Task.WhenAll(started, _running.AddAsync(rootJobId, startedAt));
        return (int)await started == 1;
    }

    /// <summary>
    /// Counts a batch of outcomes exactly once; <paramref name="batchId"/> identifies the message. A failed outcome for which
    /// <paramref name="required"/> says true (a required task of the platform) fails the root, as any failure does under
    /// <see cref="FailurePolicy.FailFast"/>: the first one records <see cref="LedgerResult.Failure"/>. A child stopped by its
    /// root's end (<see cref="ChildJobOutcome.StoppedByRoot"/>) never does.
    /// </summary>
    public async Task<LedgerResult> RecordAsync(Guid rootJobId, Guid batchId, IReadOnlyList<ChildJobOutcome> outcomes, Func<ChildJobOutcome, bool>? required = null)
    {
        var args = new List<RedisValue>(4 + outcomes.Count * 11) { Id(batchId), Id(rootJobId), outcomes.Count };
        foreach (var o in outcomes)
        {
            args.Add(Id(o.ChildJobId));
            args.Add(Id(o.ParentJobId));
            args.Add(Id(o.GroupId));
            args.Add(o.Generation);
            args.Add(o.Succeeded ? "1" : "0");
            args.Add(o.Spawned);
            args.Add(o.Continuation is null ? "" : JsonSerializer.Serialize(new StoredContinuation(o.Continuation, o.GroupId, o.Generation)));
            // What a failure means: 'stopped' (a consequence of the root's end: never fails it), 'required', or '' (fails it under fail_fast).
            args.Add(o.Succeeded ? "" : o.StoppedByRoot ? "stopped" : required?.Invoke(o) == true ? "required" : "");
            args.Add(o.Succeeded ? "" : o.Task);
            args.Add(o.Succeeded ? "" : o.Error ?? "failed");
            // The group its spawned children joined (the tree rule; the script counts them there).
            args.Add(Id(TreeRules.ChildrenGroup(o.ChildJobId, o.GroupId, o.Continuation is not null)));
        }

        args.Add((long)BatchMemory.TotalMilliseconds);
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(RecordScript, Keys(rootJobId), args.ToArray()))!;
        _running.Progressed(rootJobId, DateTimeOffset.UtcNow);
        var rootFinished = false;
        Guid? failedBy = null;
        var continuations = new List<ContinuationDue>();
        foreach (var action in ((string?)result[3] ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (action == "root")
            {
                rootFinished = true;
                continue;
            }

            if (action.StartsWith(FailedAction, StringComparison.Ordinal))
            {
                failedBy = Guid.ParseExact(action[FailedAction.Length..], "N");
                continue;
            }

            var bar = action.IndexOf('|');
            var stored = JsonSerializer.Deserialize<StoredContinuation>(action[(bar + 1)..])!;
            continuations.Add(new ContinuationDue(stored.Expected(Guid.ParseExact(action[..bar], "N")), stored.Job));
        }

        return new LedgerResult(Number(result[0]), Number(result[1]), Number(result[2]), rootFinished, continuations, (string?)result[4], failedBy,
            Number(result[5]), Number(result[6]), (string?)result[7]);
    }

    private const string FailedAction = "failed|";

    /// <summary>
    /// Writes the saga's final view into the read model (its counts win over the ledger's after a repair) and, for a final
    /// status, tells the waiting clients on <see cref="RootJobKeys.EndedChannel"/> and takes the root out of the running
    /// roots (in the same round trip). True the first time a final status is written for the root (so its end is counted
    /// once, however often the saga's activity runs).
    /// </summary>
    public async Task<bool> SetStatusAsync(Guid rootJobId, string status, DateTimeOffset? finishedAt, string? error, (long Total, long Completed, long Failed)? counts = null,
        string? platform = null)
    {
        var fields = new List<HashEntry> { new(RootJobKeys.Status, status) };
        if (counts is { } c)
        {
            fields.Add(new(RootJobKeys.Total, c.Total));
            fields.Add(new(RootJobKeys.Completed, c.Completed));
            fields.Add(new(RootJobKeys.Failed, c.Failed));
        }

        if (finishedAt is { } f) fields.Add(new(RootJobKeys.FinishedAt, f.ToString("O", CultureInfo.InvariantCulture)));
        if (error is not null) fields.Add(new(RootJobKeys.Error, error));
        var ended = JobStatus.HasEnded(status);
        var batch = Database.CreateBatch();
        var written = batch.HashSetAsync(RootJobKeys.Key(rootJobId), fields.ToArray());
        var first = ended ? batch.HashSetAsync(RootJobKeys.Key(rootJobId), RootJobKeys.EndCounted, 1, When.NotExists) : Task.FromResult(false);
        var told = ended ? batch.PublishAsync(EndedChannel, Id(rootJobId)) : Task.CompletedTask;
        var removed = ended ? _running.RemoveAsync(batch, rootJobId) : Task.CompletedTask;
        // The platform's last success, only ever raised (a root that ends late never makes it look older): require-fresh reads it.
        var succeeded = platform is not null && finishedAt is { } at && status is JobStatus.Completed or JobStatus.CompletedWithFailures
            ? batch.SortedSetAddAsync(RootJobKeys.LastSucceededKey, platform, at.ToUnixTimeMilliseconds(), SortedSetWhen.GreaterThan)
            : Task.FromResult(false);
        batch.Execute();
        await Task.WhenAll(written, first, told, removed, succeeded);
        return await first;
    }

    /// <summary>Records the runs of one phase of the root's hooks (a redelivery writes the same) and, when a post hook failed, its error.</summary>
    public async Task RecordHooksAsync(Guid rootJobId, JobHooksFinished finished)
    {
        var runs = finished.Outcomes.Select(o => new HookRunView(finished.Phase, o.Index, o.Name, o.Status, o.Error, o.Attempts, o.StartedAt, o.FinishedAt)).ToList();
        var fields = new List<HashEntry>
        {
            new(finished.Phase == Jobs.Platforms.JobHooks.Pre ? RootJobKeys.PreHooks : RootJobKeys.PostHooks, JsonSerializer.Serialize(runs, HookJson)),
        };
        if (finished.Phase == Jobs.Platforms.JobHooks.Post && HookError(finished) is { } error) fields.Add(new(RootJobKeys.HookError, error));
        await Database.HashSetAsync(RootJobKeys.Key(rootJobId), fields.ToArray());
    }

    /// <summary>The error a phase's hooks end with: the first that failed (named), or null.</summary>
    public static string? HookError(JobHooksFinished finished) =>
        finished.Outcomes.FirstOrDefault(o => o.Status == JobHookOutcome.Failed) is { } failed
            ? $"{finished.Phase} hook {failed.Index} '{failed.Name}' failed: {failed.Error}"
            : null;

    private static readonly JsonSerializerOptions HookJson = new(JsonSerializerDefaults.Web);

    /// <summary>Once the root has ended the per-child bookkeeping is only needed for late duplicates.</summary>
    public async Task ExpireBookkeepingAsync(Guid rootJobId, TimeSpan after)
    {
        var keys = Keys(rootJobId);
        var batch = Database.CreateBatch();
        var tasks = keys.Skip(1).Select(k => batch.KeyExpireAsync(k, after)).ToList();
        batch.Execute();
        await Task.WhenAll(tasks);
    }

    /// <summary>Why the root fails whatever its counts (<see cref="RootJobKeys.Failure"/>), or null.</summary>
    public async Task<string?> FailureAsync(Guid rootJobId) =>
        (string?)await Database.HashGetAsync(RootJobKeys.Key(rootJobId), RootJobKeys.Failure);

    public Task RecordEntryErrorAsync(Guid rootJobId, string error) =>
        Database.HashSetAsync(RootJobKeys.Key(rootJobId), RootJobKeys.EntryError, error);

    private static string Id(Guid id) => id.ToString("N");

    private static long Number(RedisResult value) => value.IsNull ? 0 : (long)value;

    /// <summary>A waiting continuation as the script keeps it (the spawner's id is the field name), with its spawner's group and generation.</summary>
    private sealed record StoredContinuation(ContinuationJob Job, Guid SpawnerGroupId, int SpawnerGeneration)
    {
        public ExpectedJob Expected(Guid spawnerJobId) => TreeRules.Continuation(spawnerJobId, SpawnerGroupId, SpawnerGeneration);
    }
}
