using System.Text.Json;
using Jobs.Contracts;
using MassTransit;
using Npgsql;
using NpgsqlTypes;

namespace Jobs.Auditor.Audit;

/// <summary>
/// Writes every job event into the audit trail in one transaction per message. The event row is keyed by
/// the message id, so a redelivered message changes nothing.
/// </summary>
public sealed class JobEventsConsumer(NpgsqlDataSource dataSource, ILogger<JobEventsConsumer> logger) :
    IConsumer<RootJobStarted>,
    IConsumer<ChildJobsFinished>,
    IConsumer<RootJobCompleted>,
    IConsumer<RootJobFailed>,
    IConsumer<RootJobCancelled>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task Consume(ConsumeContext<RootJobStarted> context) =>
        RecordAsync(context, context.Message.RootJobId, async (connection, m) =>
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO root_jobs (root_job_id, platform, schedule, status, settings, total, completed, failed, started_at)
                VALUES ($1, $2, $3, 'Running', $4::jsonb, 0, 0, 0, $5)
                ON CONFLICT (root_job_id) DO UPDATE SET settings = EXCLUDED.settings, schedule = EXCLUDED.schedule, started_at = EXCLUDED.started_at
                """, connection);
            command.Parameters.Add(new() { Value = m.RootJobId });
            command.Parameters.Add(new() { Value = m.Platform });
            command.Parameters.Add(new() { Value = (object?)m.Schedule ?? DBNull.Value });
            command.Parameters.Add(new() { Value = m.Settings.GetRawText() });
            command.Parameters.Add(new() { Value = m.StartedAt });
            await command.ExecuteNonQueryAsync();
        });

    public Task Consume(ConsumeContext<ChildJobsFinished> context) =>
        RecordAsync(context, context.Message.RootJobId, async (connection, m) =>
        {
            var outcomes = m.Outcomes;
            await using var command = new NpgsqlCommand("""
                INSERT INTO child_jobs (child_job_id, root_job_id, parent_job_id, generation, task, status, error, attempts, started_at, finished_at)
                SELECT c.id, $1, c.parent, c.generation, c.task, c.status, c.error, c.attempts, c.started, c.finished
                FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::timestamptz[], $10::timestamptz[])
                  AS c(id, parent, generation, task, status, error, attempts, started, finished)
                ON CONFLICT (child_job_id) DO NOTHING
                """, connection);
            command.Parameters.Add(new() { Value = m.RootJobId });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.ChildJobId).ToArray() });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.ParentJobId).ToArray() });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.Generation).ToArray() });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.Task).ToArray() });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.Succeeded ? "Completed" : "Failed").ToArray() });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.Error).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.Attempts).ToArray() });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.StartedAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new() { Value = outcomes.Select(o => o.FinishedAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            await command.ExecuteNonQueryAsync();
        });

    public Task Consume(ConsumeContext<RootJobCompleted> context)
    {
        var m = context.Message;
        return RecordAsync(context, m.RootJobId, (connection, _) =>
            FinishAsync(connection, m.RootJobId, m.Platform, m.Schedule, JobStatus.Completed, m.Total, m.Completed, m.Failed, m.StartedAt, m.FinishedAt, null));
    }

    public Task Consume(ConsumeContext<RootJobFailed> context)
    {
        var m = context.Message;
        return RecordAsync(context, m.RootJobId, (connection, _) =>
            FinishAsync(connection, m.RootJobId, m.Platform, m.Schedule, JobStatus.Failed, m.Total, m.Completed, m.Failed, m.StartedAt, m.FinishedAt, m.Reason));
    }

    public Task Consume(ConsumeContext<RootJobCancelled> context)
    {
        var m = context.Message;
        return RecordAsync(context, m.RootJobId, (connection, _) =>
            FinishAsync(connection, m.RootJobId, m.Platform, m.Schedule, JobStatus.Cancelled, null, null, null, m.StartedAt, m.FinishedAt, m.Reason));
    }

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

    private async Task RecordAsync<T>(ConsumeContext<T> context, Guid rootJobId, Func<NpgsqlConnection, T, Task> apply) where T : class
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException($"{typeof(T).Name} without a message id cannot be audited");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId });
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(context.CancellationToken);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO job_events (message_id, root_job_id, event_type, payload, received_at)
            VALUES ($1, $2, $3, $4::jsonb, now()) ON CONFLICT (message_id) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = messageId });
            insert.Parameters.Add(new() { Value = rootJobId });
            insert.Parameters.Add(new() { Value = typeof(T).Name });
            insert.Parameters.Add(new() { Value = JsonSerializer.Serialize(context.Message, Json) });
            if (await insert.ExecuteNonQueryAsync(context.CancellationToken) == 0)
            {
                logger.LogInformation("{EventType} {MessageId} was already audited; ignoring the redelivery", typeof(T).Name, messageId);
                return;
            }
        }

        await apply(connection, context.Message);
        await transaction.CommitAsync(context.CancellationToken);
    }
}

public sealed class JobEventsConsumerDefinition : ConsumerDefinition<JobEventsConsumer>
{
    public JobEventsConsumerDefinition()
    {
        EndpointName = "auditor-job-events";
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<JobEventsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(r => r.Exponential(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)));
    }
}
