using Npgsql;

namespace Jobs.Plugins;

/// <summary>Applies an integration's idempotent DDL (for <see cref="IIntegration.EnsureStorageAsync"/>).</summary>
public static class PostgresSchema
{
    /// <summary>
    /// Runs <paramref name="ddl"/> in one transaction under an advisory lock named <paramref name="name"/>: two processes
    /// starting together would otherwise race on <c>CREATE ... IF NOT EXISTS</c>.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlDataSource postgres, string name, string ddl, CancellationToken cancellationToken)
    {
        await using var connection = await postgres.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@name))", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("name", name));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(ddl, connection, transaction))
            await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
