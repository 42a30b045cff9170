using Jobs.Auditor.Audit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Auditor.Tests;

/// <summary>The audit writer's group commit, on the fixture's real database: what shares a transaction, and what one failure takes with it.</summary>
public sealed class AuditWriterTests(AuditFixture audit) : IClassFixture<AuditFixture>
{
    private AuditWriter Writer(TimeSpan window, int batchSize = 32) =>
        new(audit.DataSource, Options.Create(new AuditorOptions { WriteWindow = window, WriteBatchSize = batchSize }), NullLogger<AuditWriter>.Instance);

    /// <summary>An event whose other statement records the transaction it ran in.</summary>
    private static AuditEntry Entry(Guid root, List<long> transactions, Func<Task>? fail = null) =>
        new(Guid.NewGuid(), root, "TestEvent", "{}", async connection =>
        {
            await using (var command = new NpgsqlCommand("SELECT txid_current()", connection))
            {
                var id = (long)(await command.ExecuteScalarAsync())!;
                lock (transactions) transactions.Add(id);
            }

            if (fail is not null) await fail();
            return null;
        });

    private Task<bool> StoredAsync(AuditEntry entry) =>
        audit.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM job_events WHERE message_id = $1)", entry.MessageId);

    [Fact]
    public async Task Events_arriving_within_the_window_are_committed_in_one_transaction()
    {
        await using var writer = Writer(TimeSpan.FromMilliseconds(500));
        var transactions = new List<long>();
        var entries = Enumerable.Range(0, 5).Select(_ => Entry(Guid.NewGuid(), transactions)).ToList();

        await Task.WhenAll(entries.Select(e => writer.WriteAsync(e, CancellationToken.None)));

        Assert.Equal(5, transactions.Count);
        Assert.Single(transactions.Distinct());
        foreach (var entry in entries) Assert.True(await StoredAsync(entry));
    }

    [Fact]
    public async Task A_batch_holds_at_most_the_batch_size_and_the_rest_goes_in_the_next_transaction()
    {
        await using var writer = Writer(TimeSpan.FromSeconds(2), batchSize: 3);
        var transactions = new List<long>();
        var entries = Enumerable.Range(0, 5).Select(_ => Entry(Guid.NewGuid(), transactions)).ToList();

        await Task.WhenAll(entries.Select(e => writer.WriteAsync(e, CancellationToken.None)));

        Assert.Equal([3, 2], transactions.GroupBy(t => t).OrderBy(g => g.Key).Select(g => g.Count()));
    }

    [Fact]
    public async Task An_event_that_fails_is_undone_alone_and_its_retry_is_written_not_taken_for_a_redelivery()
    {
        await using var writer = Writer(TimeSpan.FromMilliseconds(500));
        var transactions = new List<long>();
        var root = Guid.NewGuid();
        var first = Entry(root, transactions);
        // Fails in the database: the transaction is aborted up to the event's savepoint.
        var failing = new AuditEntry(Guid.NewGuid(), root, "TestEvent", "{}", async connection =>
        {
            await using var command = new NpgsqlCommand("INSERT INTO nowhere VALUES (1)", connection);
            await command.ExecuteNonQueryAsync();
            return null;
        });
        // Fails in code after its statements ran (a root's end whose children are still arriving).
        var incomplete = Entry(root, transactions, () => throw new AuditIncompleteException("1 of 2 children audited so far"));
        var last = Entry(root, transactions);
        var tasks = new[] { first, failing, incomplete, last }.Select(e => writer.WriteAsync(e, CancellationToken.None)).ToList();

        await tasks[0];
        await Assert.ThrowsAsync<PostgresException>(() => tasks[1]);
        await Assert.ThrowsAsync<AuditIncompleteException>(() => tasks[2]);
        await tasks[3];
        var stored = new List<bool>();
        foreach (var entry in new[] { first, failing, incomplete, last }) stored.Add(await StoredAsync(entry));
        Assert.Equal([true, false, false, true], stored);
        Assert.Equal(3, transactions.Count);
        Assert.Single(transactions.Distinct());

        // The retry of the event with the same message id is written: its row was rolled back with it.
        var afterCommit = 0;
        await writer.WriteAsync(incomplete with { Apply = _ => Task.FromResult<Action?>(() => afterCommit++) }, CancellationToken.None);
        Assert.True(await StoredAsync(incomplete));
        Assert.Equal(1, afterCommit);
        // A redelivery of a committed event changes nothing and runs nothing after.
        await writer.WriteAsync(incomplete with { Apply = _ => Task.FromResult<Action?>(() => afterCommit++) }, CancellationToken.None);
        Assert.Equal(1, afterCommit);
    }

    [Fact]
    public async Task A_lone_event_that_fails_leaves_nothing_behind()
    {
        await using var writer = Writer(TimeSpan.Zero);
        var entry = Entry(Guid.NewGuid(), [], () => throw new AuditIncompleteException("0 of 1 children audited so far"));

        await Assert.ThrowsAsync<AuditIncompleteException>(() => writer.WriteAsync(entry, CancellationToken.None));

        Assert.False(await StoredAsync(entry));
    }

    [Fact]
    public async Task A_failed_commit_fails_every_event_of_the_batch_and_keeps_none()
    {
        await using var writer = Writer(TimeSpan.FromMilliseconds(500));
        var root = Guid.NewGuid();
        // A deferred constraint checked at the commit: the second event's row breaks it, the commit fails, so both events fail.
        await using (var create = audit.DataSource.CreateCommand("""
            CREATE TABLE IF NOT EXISTS writer_commit_check (id int PRIMARY KEY, other int UNIQUE DEFERRABLE INITIALLY DEFERRED)
            """))
            await create.ExecuteNonQueryAsync();
        var value = Random.Shared.Next();
        AuditEntry Inserting(int id) => new(Guid.NewGuid(), root, "TestEvent", "{}", async connection =>
        {
            await using var command = new NpgsqlCommand("INSERT INTO writer_commit_check VALUES ($1, $2)", connection);
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = value });
            await command.ExecuteNonQueryAsync();
            return null;
        });
        var entries = new[] { Inserting(value), Inserting(value ^ 1) };

        var tasks = entries.Select(e => writer.WriteAsync(e, CancellationToken.None)).ToList();

        foreach (var task in tasks) await Assert.ThrowsAsync<PostgresException>(() => task);
        foreach (var entry in entries) Assert.False(await StoredAsync(entry));
    }
}
