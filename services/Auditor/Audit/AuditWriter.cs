using System.Diagnostics;
using System.Threading.Channels;
using Jobs.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Auditor.Audit;

/// <summary>One job event to write: its row in <c>job_events</c> (keyed by the message id) and what it changes besides.</summary>
/// <param name="Apply">The event's other statements, on the batch's connection inside its transaction; returns what to run once committed.</param>
/// <param name="Trace">The span that consumed the event: the batch's span links to it.</param>
public sealed record AuditEntry(Guid MessageId, Guid RootJobId, string EventType, string Payload, Func<NpgsqlConnection, Task<Action?>> Apply,
    ActivityContext Trace = default);

/// <summary>
/// Group commit of the audit trail: the events that arrive within <see cref="AuditorOptions.WriteWindow"/> of the first one waiting (at most
/// <see cref="AuditorOptions.WriteBatchSize"/>) are written in one transaction, one event after the other, each in its own savepoint. An
/// event whose statements fail is rolled back alone and its consumer gets the exception (retried as before: its row was not kept, so the
/// retry is not taken for a redelivery); a failed commit fails every event of the batch, none of which was kept. A consumer's message is
/// acknowledged only once its event is committed, so nothing is lost by a crash in between: the message is redelivered.
/// One transaction at a time: while one is written the next batch gathers, so a busy trail writes few large transactions, and an idle
/// one wakes once for a small job's three or four events, after the job has ended.
/// </summary>
public sealed class AuditWriter : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<AuditWriter> _logger;
    private readonly TimeSpan _window;
    private readonly int _batchSize;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public AuditWriter(NpgsqlDataSource dataSource, IOptions<AuditorOptions> options, ILogger<AuditWriter> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _window = options.Value.WriteWindow;
        _batchSize = options.Value.WriteBatchSize;
        // The loop is no part of the trace or logging scope of whichever consumer happened to create the writer.
        using (ExecutionContext.SuppressFlow()) _loop = Task.Run(RunAsync);
    }

    /// <summary>Completes once the entry is committed (or was already in the trail); throws what failed it otherwise.</summary>
    public Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var pending = new Pending(entry, Stopwatch.GetTimestamp());
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(AuditWriter), "the Auditor is stopping: the event is left to be redelivered");
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(_batchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            if (!_queue.Reader.TryRead(out var first)) continue;
            batch.Add(first);
            // The window counts from when the first event began to wait: one that waited for the previous transaction goes at once.
            var deadline = first.Enqueued + (long)(_window.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < _batchSize)
            {
                if (_queue.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (wait <= TimeSpan.Zero) break;
                using var timeout = new CancellationTokenSource(wait);
                try
                {
                    if (!await _queue.Reader.WaitToReadAsync(timeout.Token)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            await WriteBatchAsync(batch);
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        var failures = new Exception?[batch.Count];
        var afterCommit = new Action?[batch.Count];
        using var activity = JobTracing.Source.StartActivity("audit write", ActivityKind.Internal, default(ActivityContext),
            links: batch.Where(p => p.Entry.Trace != default).Select(p => new ActivityLink(p.Entry.Trace)));
        activity?.SetTag("jobs.audit.events", batch.Count);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            // A savepoint per event, so that one event's failure leaves the others' statements in place; a lone event needs none.
            var savepoints = batch.Count > 1;
            for (var i = 0; i < batch.Count; i++)
            {
                var entry = batch[i].Entry;
                using var scope = _logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = entry.RootJobId });
                if (savepoints) await transaction.SaveAsync("audit_entry");
                try
                {
                    afterCommit[i] = await WriteAsync(connection, transaction, entry);
                    if (savepoints) await transaction.ReleaseAsync("audit_entry");
                }
                catch (Exception e) when (savepoints && connection.FullState == System.Data.ConnectionState.Open)
                {
                    // The event alone is undone (its job_events row too, so its retry is not ignored as a redelivery). Should even
                    // that fail, the connection is gone: the whole batch fails below.
                    await transaction.RollbackAsync("audit_entry");
                    failures[i] = e;
                    afterCommit[i] = null;
                }
            }

            await transaction.CommitAsync();
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            // A lone root's end waiting for its children's events is no failure of the trail: its consumer's retry says so.
            if (e is not AuditIncompleteException)
                _logger.LogWarning(e, "Audit write of {Events} events failed; their messages are retried", batch.Count);
            foreach (var pending in batch) pending.Done.TrySetException(e);
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                batch[i].Done.TrySetException(failure);
                continue;
            }

            try
            {
                afterCommit[i]?.Invoke();
            }
            catch (Exception e)
            {
                // The event is committed: what runs after (metrics) must not have it retried.
                _logger.LogError(e, "After the audit of {EventType} {MessageId} of {RootJobId}", batch[i].Entry.EventType, batch[i].Entry.MessageId,
                    batch[i].Entry.RootJobId);
            }

            batch[i].Done.TrySetResult();
        }
    }

    private async Task<Action?> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntry entry)
    {
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO job_events (message_id, root_job_id, event_type, payload, received_at)
            VALUES ($1, $2, $3, $4::jsonb, now()) ON CONFLICT (message_id) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = entry.MessageId });
            insert.Parameters.Add(new() { Value = entry.RootJobId });
            insert.Parameters.Add(new() { Value = entry.EventType });
            insert.Parameters.Add(new() { Value = entry.Payload });
            if (await insert.ExecuteNonQueryAsync() == 0)
            {
                _logger.LogInformation("{EventType} {MessageId} was already audited; ignoring the redelivery", entry.EventType, entry.MessageId);
                return null;
            }
        }

        return await entry.Apply(connection);
    }

    private sealed record Pending(AuditEntry Entry, long Enqueued)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
