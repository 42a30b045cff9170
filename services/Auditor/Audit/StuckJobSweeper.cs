using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using Jobs.Contracts;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Auditor.Audit;

/// <summary>
/// Finds running root jobs with no progress for <c>Auditor:ChildTimeout</c> - no outcome audited, and no progress
/// reported by a run (<c>JobContext.ReportProgressAsync</c>, so a long download that reports stays alive) - and reports the children
/// they are still waiting for as timed out, so the Integrator fails them and the root reaches a final state.
/// The children a root waits for are derived from the audit trail (the entry run, and the children each
/// finished job said it spawned). One Auditor instance sweeps at a time (a PostgreSQL advisory lock).
/// </summary>
public sealed class StuckJobSweeper(
    NpgsqlDataSource dataSource, IConnectionMultiplexer redis, IBus bus, IOptions<AuditorOptions> options, ILogger<StuckJobSweeper> logger)
    : BackgroundService
{
    private const long LockKey = 0x4a6f62537765;

    private readonly TimeSpan _timeout = options.Value.ChildTimeout;
    private readonly TimeSpan _interval = options.Value.SweepInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Stuck-job sweep failed; trying again in {Interval}", _interval);
            }
        }
    }

    /// <summary>One sweep; returns the number of children reported timed out.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new() { Value = LockKey });
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!) return 0;
        }

        try
        {
            var stalled = new List<(Guid Root, string Platform, string? TraceParent)>();
            await using (var query = new NpgsqlCommand("""
                SELECT root_job_id, platform, trace_parent FROM root_jobs
                WHERE status = 'Running' AND coalesce(last_progress_at, started_at) < now() - $1
                ORDER BY coalesce(last_progress_at, started_at) LIMIT 50
                """, connection))
            {
                query.Parameters.Add(new() { Value = _timeout });
                await using var reader = await query.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) stalled.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }

            var reported = 0;
            foreach (var (root, platform, traceParent) in stalled)
            {
                if (await ReportedProgressAsync(root) is { } at && at > DateTimeOffset.UtcNow - _timeout)
                {
                    // A run is reporting progress: alive. Remember when, so the next sweep measures from there.
                    await using var alive = new NpgsqlCommand("UPDATE root_jobs SET last_progress_at = $2 WHERE root_job_id = $1", connection);
                    alive.Parameters.Add(new() { Value = root });
                    alive.Parameters.Add(new() { Value = at });
                    await alive.ExecuteNonQueryAsync(cancellationToken);
                    continue;
                }

                // The repair is part of the root's trace (the sweep itself belongs to none).
                using var span = JobTracing.StartInRootTrace("stalled root repair", traceParent);
                span?.SetTag(JobTracing.RootJobId, root.ToString()).SetTag(JobTracing.Platform, platform);
                var missing = await MissingChildrenAsync(connection, root, cancellationToken);
                span?.SetTag("jobs.missing", missing.Count);
                using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = root }))
                {
                    if (missing.Count == 0)
                    {
                        // Everything it waited for has an outcome, yet it never ended (a lost message). Ending a root is the
                        // Integrator's: it is sent the recorded outcomes and ends the root with the failure its ledger holds.
                        var repair = await OutcomesAsync(connection, root, platform, cancellationToken);
                        var integrator = await bus.GetSendEndpoint(IntegrationQueues.EndStalledRootJobsAddress);
                        await integrator.Send(repair, cancellationToken);
                        AuditMetrics.Repaired.WithLabels(platform).Inc();
                        logger.LogWarning("Root job had nothing in flight but had not finished for {Timeout}; asked the Integrator to end it from {Total} recorded outcomes",
                            _timeout, repair.Total);
                    }
                    else
                    {
                        var reason = $"no progress of the root job for {_timeout}";
                        foreach (var chunk in missing.Chunk(JobLimits.MaxChildrenPerMessage))
                            await bus.Publish(new ChildJobsTimedOut(root, platform, reason, chunk), cancellationToken);
                        AuditMetrics.TimedOut.WithLabels(platform).Inc(missing.Count);
                        logger.LogWarning("Reported {Count} children timed out: {Reason}", missing.Count, reason);
                        reported += missing.Count;
                    }
                }

                await using var touch = new NpgsqlCommand("UPDATE root_jobs SET last_progress_at = now() WHERE root_job_id = $1", connection);
                touch.Parameters.Add(new() { Value = root });
                await touch.ExecuteNonQueryAsync(cancellationToken);
            }

            return reported;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new() { Value = LockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private Task<DateTimeOffset?> ReportedProgressAsync(Guid root) => Runs.LastProgressAtAsync(redis.GetDatabase(), root);

    /// <summary>The counts and entry error of a root job as its recorded outcomes say.</summary>
    public static async Task<EndStalledRootJob> OutcomesAsync(NpgsqlConnection connection, Guid root, string platform, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE generation > 0),
                   count(*) FILTER (WHERE generation > 0 AND status = 'Completed'),
                   count(*) FILTER (WHERE generation > 0 AND status = 'Failed'),
                   max(error) FILTER (WHERE generation = 0 AND status = 'Failed')
            FROM child_jobs WHERE root_job_id = $1
            """, connection);
        query.Parameters.Add(new() { Value = root });
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new EndStalledRootJob(root, platform, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    /// <summary>The children the root still waits for, derived from what the audit trail holds.</summary>
    public static async Task<List<TimedOutChild>> MissingChildrenAsync(NpgsqlConnection connection, Guid root, CancellationToken cancellationToken)
    {
        var recorded = new HashSet<Guid>();
        var expected = new List<ExpectedJob> { TreeRules.Entry(root) };
        await using var query = new NpgsqlCommand("""
            SELECT child_job_id, status, spawned, has_continuation, group_id, generation FROM child_jobs WHERE root_job_id = $1
            """, connection);
        query.Parameters.Add(new() { Value = root });
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            recorded.Add(id);
            if (reader.GetString(1) != JobStatus.Completed) continue;
            expected.AddRange(TreeRules.Spawned(id, reader.GetGuid(4), reader.GetInt32(5), reader.GetInt32(2), reader.GetBoolean(3)));
        }

        return expected.Where(c => !recorded.Contains(c.ChildJobId)).Select(c => new TimedOutChild(c.ChildJobId, c.ParentJobId, c.GroupId, c.Generation)).ToList();
    }
}
