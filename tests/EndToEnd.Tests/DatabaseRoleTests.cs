using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Npgsql;

namespace Jobs.EndToEnd.Tests;

/// <summary>
/// One PostgreSQL role per owner of tables, as the running services use them (derived from POSTGRES_URL, infra/postgres/roles.sql):
/// each integration owns its tables and cannot touch another's, the Auditor owns the audit tables, Reporting can write nothing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DatabaseRoleTests(SystemFixture system)
{
    /// <summary>The tables each owner's service created at start in this system's database.</summary>
    private static readonly Dictionary<string, string[]> Tables = new()
    {
        ["catalogue"] = ["products", "product_history"],
        ["reddit"] = ["reddit_submissions"],
        ["movies"] = ["movie_report", "movie_report_loads"],
        ["auditor"] = ["root_jobs", "child_jobs", "job_events", "root_job_generations", "data_measurements"],
    };

    private static readonly string[] Integrations = ["synthetic", "preaggregates", "movies", "catalogue", "reddit", "rest"];

    private string ConnectionOf(string owner) => new ConnectionOptions { PostgresUrl = system.AuditDatabase }.PostgresConnectionStringFor(owner);

    private static async Task<PostgresException?> TryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        try
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync();
            return null;
        }
        catch (PostgresException ex)
        {
            return ex;
        }
        finally
        {
            // Nothing a test statement did is kept (a failed one has aborted the transaction already).
            await transaction.RollbackAsync();
        }
    }

    [Fact]
    public async Task Every_integration_and_the_auditor_own_their_tables_through_their_own_role()
    {
        foreach (var (owner, tables) in Tables)
            foreach (var table in tables)
            {
                var actual = await Eventually.Until(() => OwnerAsync(table), o => o is not null, TimeSpan.FromSeconds(30), $"table {table}");
                Assert.Equal($"jobs_{owner}", actual);
            }
    }

    [Fact]
    public async Task From_each_integrations_connection_writing_another_integrations_or_the_audit_tables_is_permission_denied()
    {
        foreach (var integration in Integrations)
        {
            var connection = ConnectionOf(integration);
            foreach (var (owner, tables) in Tables.Where(t => t.Key != integration))
                foreach (var table in tables)
                    foreach (var sql in new[] { $"DELETE FROM {table}", $"SELECT count(*) FROM {table}", $"DROP TABLE {table}" })
                    {
                        var error = await TryAsync(connection, sql);
                        Assert.True(error is { SqlState: PostgresErrorCodes.InsufficientPrivilege }, $"{integration}: {sql} gave {error?.SqlState ?? "no error"}");
                    }
        }

        // Its own tables it may write (inside a transaction rolled back).
        Assert.Null(await TryAsync(ConnectionOf("catalogue"), "DELETE FROM product_history"));
        Assert.Null(await TryAsync(ConnectionOf("movies"), "DELETE FROM movie_report"));
    }

    [Fact]
    public async Task Reportings_connection_reads_every_table_and_can_write_nothing()
    {
        var reporting = ConnectionOf("reporting");
        foreach (var table in Tables.Values.SelectMany(t => t))
        {
            Assert.Null(await TryAsync(reporting, $"SELECT count(*) FROM {table}"));
            foreach (var sql in new[] { $"DELETE FROM {table}", $"INSERT INTO {table} DEFAULT VALUES", $"TRUNCATE {table}", $"ALTER TABLE {table} ADD COLUMN x int" })
            {
                var error = await TryAsync(reporting, sql);
                Assert.True(error is { SqlState: PostgresErrorCodes.InsufficientPrivilege }, $"reporting: {sql} gave {error?.SqlState ?? "no error"}");
            }
        }

        var create = await TryAsync(reporting, "CREATE TABLE reporting_was_here (id int)");
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, create?.SqlState);
        var insert = await TryAsync(reporting, "INSERT INTO root_jobs (root_job_id, platform, status, total, completed, failed, started_at) VALUES (gen_random_uuid(), 'x', 'Running', 0, 0, 0, now())");
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert?.SqlState);
    }

    private async Task<string?> OwnerAsync(string table)
    {
        await using var connection = new NpgsqlConnection(system.AuditDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (string?)await command.ExecuteScalarAsync();
    }
}
