using System.Diagnostics;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;
using Npgsql;
using NpgsqlTypes;

namespace Jobs.Auditor.Audit;

/// <summary>
/// Writes every job event into the audit trail through the <see cref="AuditWriter"/> (events arriving together share a transaction,
/// each in its own savepoint); a message is acknowledged once its event is committed. The event row is keyed by the message id, so a
/// redelivered message changes nothing.
/// </summary>
public sealed class JobEventsConsumer(AuditWriter writer, PlatformCatalog catalog, DataAudits dataAudits, ILogger<JobEventsConsumer> logger) :
    IConsumer<RootJobStarted>,
    IConsumer<ChildJobsFinished>,
    IConsumer<ChildJobsClosed>,
    IConsumer<RootJobCompleted>,
    IConsumer<RootJobFailed>,
    IConsumer<RootJobCancelled>,
    IConsumer<JobHooksFinished>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Audits of a finished root are retried this often while its children's events are still arriving.</summary>
    public const int CompletenessRetries = 5;

    public async Task Consume(ConsumeContext<RootJobStarted> context)
    {
        AuditMetrics.Track(context.Message.Platform);
        // Secrets never reach the audit trail: the stored settings and the stored event are masked.
        var masked = context.Message with { Settings = SecretMasking.Apply(context.Message.Settings, await catalog.FindAsync(context.Message.Platform)) };
        // The root's trace: from the event (the saga's span that began it), else from the trace this delivery continues.
        var traceParent = masked.TraceParent ?? JobTracing.CurrentTraceParent();
        var traceId = JobTracing.TraceIdOf(traceParent);
        await RecordAsync(context, context.Message.RootJobId, async (connection, _) =>
        {
            var m = masked;
            await using var command = new NpgsqlCommand("""
                INSERT INTO root_jobs (root_job_id, platform, schedule, status, settings, total, completed, failed, started_at, last_progress_at,
                                       trace_id, trace_parent)
                VALUES ($1, $2, $3, 'Running', $4::jsonb, 0, 0, 0, $5, now(), $6, $7)
                ON CONFLICT (root_job_id) DO UPDATE SET settings = EXCLUDED.settings, schedule = EXCLUDED.schedule, started_at = EXCLUDED.started_at,
                    trace_id = coalesce(EXCLUDED.trace_id, root_jobs.trace_id), trace_parent = coalesce(EXCLUDED.trace_parent, root_jobs.trace_parent)
                """, connection);
            command.Parameters.Add(new() { Value = m.RootJobId });
            command.Parameters.Add(new() { Value = m.Platform });
            command.Parameters.Add(new() { Value = (object?)m.Schedule ?? DBNull.Value });
            command.Parameters.Add(new() { Value = m.Settings.GetRawText() });
            command.Parameters.Add(new() { Value = m.StartedAt });
            command.Parameters.Add(new() { Value = (object?)traceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = traceId is null ? DBNull.Value : traceParent!, NpgsqlDbType = NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync();
            return null;
        }, masked);
    }

    public Task Consume(ConsumeContext<ChildJobsFinished> context) =>
        RecordAsync(context, context.Message.RootJobId, async (connection, m) =>
        {
            var outcomes = m.Outcomes;
            await RecordChildrenAsync(connection, m.RootJobId, outcomes);
            if (!outcomes.Any(o => o.Measurements is { Count: > 0 })) return null;
            var (failures, afterCommit) = await dataAudits.RecordAsync(connection, m);
            // Published before the commit: a failed commit redelivers the batch and may publish again (at least once), never lose one.
            foreach (var failure in failures)
            {
                logger.LogWarning("Data audit failed for {Platform} {Dataset} {Subject}: {Value} after {PreviousValue} (drop {DropShare:P1} > {MaxDropShare:P1})",
                    failure.Platform, failure.Dataset, failure.Subject, failure.Value, failure.PreviousValue, failure.DropShare, failure.MaxDropShare);
                await context.Publish(failure);
            }

            return afterCommit;
        });

    /// <summary>Children the Integrator closed itself (timed out, or not started under a failed root): recorded like finished ones.</summary>
    public Task Consume(ConsumeContext<ChildJobsClosed> context) =>
        RecordAsync(context, context.Message.RootJobId, async (connection, m) =>
        {
            await RecordChildrenAsync(connection, m.RootJobId, m.Outcomes);
            return null;
        });

    /// <summary>One row per child (a child already recorded keeps its row) and the root's last progress time.</summary>
    private static async Task RecordChildrenAsync(NpgsqlConnection connection, Guid rootJobId, IReadOnlyList<ChildJobOutcome> outcomes)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO child_jobs (child_job_id, root_job_id, parent_job_id, generation, task, status, error, attempts, started_at, finished_at,
              group_id, spawned, has_continuation)
            SELECT c.id, $1, c.parent, c.generation, c.task, c.status, c.error, c.attempts, c.started, c.finished, c.grp, c.spawned, c.cont
            FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::timestamptz[], $10::timestamptz[],
              $11::uuid[], $12::int[], $13::bool[])
              AS c(id, parent, generation, task, status, error, attempts, started, finished, grp, spawned, cont)
            ON CONFLICT (child_job_id) DO NOTHING
            """, connection);
        command.Parameters.Add(new() { Value = rootJobId });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.ChildJobId).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.ParentJobId).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Generation).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Task).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Succeeded ? "Completed" : "Failed").ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Error).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Attempts).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.StartedAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.FinishedAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.GroupId).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Spawned).ToArray() });
        command.Parameters.Add(new() { Value = outcomes.Select(o => o.Continuation is not null).ToArray() });
        await command.ExecuteNonQueryAsync();
        await ProgressedAsync(connection, rootJobId);
    }

    /// <summary>The root made progress now (the stuck-job sweeper looks at this time).</summary>
    private static async Task ProgressedAsync(NpgsqlConnection connection, Guid rootJobId)
    {
        await using var progress = new NpgsqlCommand("UPDATE root_jobs SET last_progress_at = now() WHERE root_job_id = $1", connection);
        progress.Parameters.Add(new() { Value = rootJobId });
        await progress.ExecuteNonQueryAsync();
    }

    public Task Consume(ConsumeContext<RootJobCompleted> context)
    {
        var m = context.Message;
        // Completed or CompletedWithFailures, as the saga decided (older publishers sent no status: Completed).
        var status = m.Status is JobStatus.CompletedWithFailures ? JobStatus.CompletedWithFailures : JobStatus.Completed;
        return RecordAsync(context, m.RootJobId, async (connection, _) =>
        {
            await FinishAsync(connection, m.RootJobId, m.Platform, m.Schedule, status, m.Total, m.Completed, m.Failed, m.StartedAt, m.FinishedAt, m.HookError);
            return await GenerationsAsync(connection, context, m.RootJobId, m.Platform, status, m.Total, m.StartedAt, m.FinishedAt);
        });
    }

    public Task Consume(ConsumeContext<RootJobFailed> context)
    {
        var m = context.Message;
        return RecordAsync(context, m.RootJobId, async (connection, _) =>
        {
            await FinishAsync(connection, m.RootJobId, m.Platform, m.Schedule, JobStatus.Failed, m.Total, m.Completed, m.Failed, m.StartedAt, m.FinishedAt,
                m.HookError is null ? m.Reason : $"{m.Reason}; {m.HookError}");
            return await GenerationsAsync(connection, context, m.RootJobId, m.Platform, JobStatus.Failed, m.Total, m.StartedAt, m.FinishedAt);
        });
    }

    public Task Consume(ConsumeContext<RootJobCancelled> context)
    {
        var m = context.Message;
        return RecordAsync(context, m.RootJobId, async (connection, _) =>
        {
            await FinishAsync(connection, m.RootJobId, m.Platform, m.Schedule, JobStatus.Cancelled, null, null, null, m.StartedAt, m.FinishedAt, m.Reason);
            return null;
        });
    }

    /// <summary>A phase of the root's hooks ran: the event is the audit of each hook run (name, status, error, attempts, times); it is progress.</summary>
    public Task Consume(ConsumeContext<JobHooksFinished> context) =>
        RecordAsync(context, context.Message.RootJobId, async (connection, m) =>
        {
            await ProgressedAsync(connection, m.RootJobId);
            return null;
        });

    private static async Task FinishAsync(NpgsqlConnection connection, Guid rootJobId, string platform, string? schedule, string status,
        long? total, long? completed, long? failed, DateTimeOffset startedAt, DateTimeOffset finishedAt, string? error)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO root_jobs (root_job_id, platform, schedule, status, total, completed, failed, started_at, finished_at, error)
            VALUES ($1, $2, $3, $4, coalesce($5, 0), coalesce($6, 0), coalesce($7, 0), $8, $9, $10)
            ON CONFLICT (root_job_id) DO UPDATE SET status = EXCLUDED.status,
              total = coalesce($5, root_jobs.total), completed = coalesce($6, root_jobs.completed), failed = coalesce($7, root_jobs.failed),
              finished_at = EXCLUDED.finished_at, error = EXCLUDED.error
            """, connection);
        command.Parameters.Add(new() { Value = rootJobId });
        command.Parameters.Add(new() { Value = platform });
        command.Parameters.Add(new() { Value = (object?)schedule ?? DBNull.Value });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = (object?)total ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)completed ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)failed ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = startedAt });
        command.Parameters.Add(new() { Value = finishedAt });
        command.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Time to complete all children of each generation, stored once the audit holds every child the saga
    /// counted (the children's events may still be on their way: then the message is retried, and after
    /// <see cref="CompletenessRetries"/> tries what has arrived is stored). Returns the metrics to observe
    /// once the transaction commits.
    /// </summary>
    private async Task<Action?> GenerationsAsync(NpgsqlConnection connection, ConsumeContext context, Guid rootJobId, string platform, string status,
        long total, DateTimeOffset startedAt, DateTimeOffset finishedAt)
    {
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation > 0", connection))
        {
            count.Parameters.Add(new() { Value = rootJobId });
            var audited = (long)(await count.ExecuteScalarAsync())!;
            if (audited < total && context.GetRetryAttempt() < CompletenessRetries)
                throw new AuditIncompleteException($"{audited} of {total} children of {rootJobId} audited so far");
        }

        await using var command = new NpgsqlCommand("""
            INSERT INTO root_job_generations (root_job_id, generation, children, failed, first_started_at, last_finished_at, seconds_to_complete)
            SELECT $1, generation, count(*), count(*) FILTER (WHERE status = 'Failed'), min(started_at), max(finished_at),
                   extract(epoch FROM (max(finished_at) - $2))
            FROM child_jobs WHERE root_job_id = $1 AND generation > 0 GROUP BY generation
            ON CONFLICT (root_job_id, generation) DO UPDATE SET children = EXCLUDED.children, failed = EXCLUDED.failed,
              first_started_at = EXCLUDED.first_started_at, last_finished_at = EXCLUDED.last_finished_at,
              seconds_to_complete = EXCLUDED.seconds_to_complete
            RETURNING generation, seconds_to_complete
            """, connection);
        command.Parameters.Add(new() { Value = rootJobId });
        command.Parameters.Add(new() { Value = startedAt });
        var generations = new List<(int Generation, double Seconds)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) generations.Add((reader.GetInt32(0), Convert.ToDouble(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return () =>
        {
            AuditMetrics.RootJobSeconds.WithLabels(platform, status).Observe((finishedAt - startedAt).TotalSeconds);
            foreach (var (generation, seconds) in generations)
                AuditMetrics.GenerationSeconds.WithLabels(platform, generation.ToString(System.Globalization.CultureInfo.InvariantCulture)).Observe(seconds);
        };
    }

    private Task RecordAsync<T>(ConsumeContext<T> context, Guid rootJobId, Func<NpgsqlConnection, T, Task<Action?>> apply, T? stored = null)
        where T : class
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException($"{typeof(T).Name} without a message id cannot be audited");
        var message = context.Message;
        return writer.WriteAsync(new AuditEntry(messageId, rootJobId, typeof(T).Name, JsonSerializer.Serialize(stored ?? message, Json),
            connection => apply(connection, message), Activity.Current?.Context ?? default), context.CancellationToken);
    }
}

public sealed class JobEventsConsumerDefinition : ConsumerDefinition<JobEventsConsumer>
{
    public JobEventsConsumerDefinition(Microsoft.Extensions.Options.IOptions<AuditorOptions> options)
    {
        EndpointName = "auditor-job-events";
        // As many events are consumed at once as the audit writer puts in one transaction: they wait for it together.
        ConcurrentMessageLimit = options.Value.WriteBatchSize;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<JobEventsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A finished root whose children's events are still on their way: a few short waits.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<AuditIncompleteException>();
            r.Intervals(250, 500, 1000, 2000, 4000);
        });
        // PostgreSQL restarting, failing over or unreachable (TransientFaults): an event is kept and retried for about an hour
        // (every 30 s once the back-off has grown), never faulted out of the audit trail by an outage.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<Exception>(TransientFaults.IsTransient);
            r.Exponential(130, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        });
        // Anything else: a few tries, then the error queue with the reason.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Ignore<AuditIncompleteException>();
            r.Ignore<Exception>(TransientFaults.IsTransient);
            r.Exponential(10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        });
    }
}

public sealed class AuditIncompleteException(string message) : Exception(message);
