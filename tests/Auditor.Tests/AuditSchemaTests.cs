using Jobs.Auditor.Audit;
using Jobs.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Jobs.Auditor.Tests;

/// <summary>
/// The audit schema's SQL migrations on fresh databases, and on databases the former EF Core migrations created (their
/// scripts, as <c>dotnet ef migrations script</c> wrote them, are in <c>EfCoreSchema/</c>).
/// </summary>
public sealed class AuditSchemaTests : IAsyncLifetime
{
    private static readonly string[] EfMigrations = ["20261122200845_Initial", "20261122211124_SweeperAndGenerations", "20261122223856_DataAudits"];
    private static readonly string[] AuditTables = ["root_jobs", "child_jobs", "job_events", "root_job_generations", "data_measurements"];

    private readonly List<string> _databases = [];
    private readonly List<NpgsqlDataSource> _sources = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var source in _sources) await source.DisposeAsync();
        foreach (var database in _databases) await Infrastructure.DropDatabaseAsync(database);
    }

    private async Task<NpgsqlDataSource> NewDatabaseAsync(params string[] efMigrations)
    {
        var database = await Infrastructure.CreateDatabaseAsync("schema");
        _databases.Add(database);
        var source = NpgsqlDataSource.Create(database);
        _sources.Add(source);
        foreach (var migration in efMigrations)
            await ExecuteAsync(source, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "EfCoreSchema", $"{migration}.sql")));
        return source;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static Task<IReadOnlyList<SchemaMigration>> MigrateAsync(NpgsqlDataSource source) =>
        AuditSchema.MigrateAsync(source, NullLogger.Instance, CancellationToken.None);

    /// <summary>Every column (type, nullability, default, generation, identity) and index of the audit tables, one line each.</summary>
    private static async Task<string> DescribeAsync(NpgsqlDataSource source)
    {
        await using var command = source.CreateCommand("""
            SELECT string_agg(line, E'\n' ORDER BY line) FROM (
              SELECT format('column %s.%s %s nullable=%s default=%s generated=%s identity=%s', table_name, column_name, data_type, is_nullable,
                            column_default, generation_expression, identity_generation) AS line
              FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1)
              UNION ALL
              SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1)
              UNION ALL
              SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint
              WHERE conrelid::regclass::text = ANY($1)
            ) lines
            """);
        command.Parameters.Add(new() { Value = AuditTables });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<(int Version, string? BaselinedFrom)>> HistoryAsync(NpgsqlDataSource source)
    {
        await using var command = source.CreateCommand($"SELECT version, baselined_from FROM {AuditSchema.HistoryTable} ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, string?)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return rows;
    }

    /// <summary>The SQL migrations that came after the EF Core ones (0004 on): a database the EF migrations created gets them from the files.</summary>
    private static int[] AfterEf => AuditSchema.Migrations.Select(m => m.Version).Where(v => v > EfMigrations.Length).ToArray();

    [Fact]
    public async Task A_fresh_database_gets_exactly_the_schema_the_EF_Core_migrations_created_plus_the_later_SQL_migrations()
    {
        var fresh = await NewDatabaseAsync();
        var efCreated = await NewDatabaseAsync(EfMigrations);

        var applied = await MigrateAsync(fresh);

        Assert.Equal(Enumerable.Range(1, AuditSchema.Migrations.Count), applied.Select(m => m.Version));
        var described = await DescribeAsync(fresh);
        Assert.Contains("index CREATE UNIQUE INDEX \"IX_job_events_message_id\"", described, StringComparison.Ordinal);
        Assert.Contains("index CREATE INDEX \"IX_child_jobs_root_job_id_parent_job_id_started_at\"", described, StringComparison.Ordinal);
        Assert.Equal(AfterEf, (await MigrateAsync(efCreated)).Select(m => m.Version));
        Assert.Equal(await DescribeAsync(efCreated), described);
        Assert.Equal(AuditSchema.Migrations.Select(m => (m.Version, (string?)null)), await HistoryAsync(fresh));
    }

    [Fact]
    public async Task A_database_the_EF_Core_migrations_created_is_baselined_without_running_any_DDL_again_and_keeps_its_rows()
    {
        var source = await NewDatabaseAsync(EfMigrations);
        var root = Guid.NewGuid();
        await ExecuteAsync(source, $"""
            INSERT INTO root_jobs (root_job_id, platform, status, total, completed, failed, started_at) VALUES ('{root}', 'shop', 'Running', 3, 1, 0, now())
            """);
        var before = await DescribeAsync(source);

        var applied = await MigrateAsync(source);

        Assert.Equal(AfterEf, applied.Select(m => m.Version));
        Assert.Equal([(1, EfMigrations[0]), (2, EfMigrations[1]), (3, EfMigrations[2]), .. AfterEf.Select(v => (v, (string?)null))],
            await HistoryAsync(source));
        var after = await DescribeAsync(source);
        // Only what the later migrations add (indexes, and the root's trace columns of 0005): every line the EF schema had is still there, unchanged.
        Assert.Empty(before.Split('\n').Except(after.Split('\n')));
        Assert.All(after.Split('\n').Except(before.Split('\n')), line => Assert.Matches(@"^(index |column root_jobs\.trace_(id|parent) text nullable=YES)", line));
        Assert.Equal(1L, await ScalarAsync<long>(source, $"SELECT count(*) FROM root_jobs WHERE root_job_id = '{root}' AND completed = 1"));
        Assert.Empty(await MigrateAsync(source));
    }

    [Fact]
    public async Task A_database_with_only_the_first_EF_Core_migration_gets_the_later_ones_from_the_SQL_files_and_keeps_its_rows()
    {
        var source = await NewDatabaseAsync(EfMigrations[0]);
        var child = Guid.NewGuid();
        await ExecuteAsync(source, $"""
            INSERT INTO child_jobs (child_job_id, root_job_id, parent_job_id, generation, task, status, attempts, started_at, finished_at)
            VALUES ('{child}', '{Guid.NewGuid()}', '{Guid.NewGuid()}', 1, 'child', 'Completed', 1, now() - interval '2 seconds', now())
            """);

        var applied = await MigrateAsync(source);

        Assert.Equal(Enumerable.Range(2, AuditSchema.Migrations.Count - 1), applied.Select(m => m.Version));
        Assert.Equal([(1, EfMigrations[0]), .. AuditSchema.Migrations.Skip(1).Select(m => (m.Version, (string?)null))], await HistoryAsync(source));
        var efCreated = await NewDatabaseAsync(EfMigrations);
        await MigrateAsync(efCreated);
        Assert.Equal(await DescribeAsync(efCreated), await DescribeAsync(source));
        Assert.Equal(2000L, await ScalarAsync<long>(source, $"SELECT duration_ms FROM child_jobs WHERE child_job_id = '{child}' AND spawned = 0"));
    }

    [Fact]
    public async Task Two_Auditors_migrating_one_database_at_once_apply_each_migration_once()
    {
        var source = await NewDatabaseAsync();
        await using var second = NpgsqlDataSource.Create(_databases[^1]); // a pool of its own, as a second process would have

        var applied = await Task.WhenAll(MigrateAsync(source), MigrateAsync(second));

        Assert.Equal(Enumerable.Range(1, AuditSchema.Migrations.Count), applied.SelectMany(a => a).Select(m => m.Version).Order());
        Assert.Equal(AuditSchema.Migrations.Count, (await HistoryAsync(source)).Count);
    }

    [Fact]
    public void The_migrations_are_numbered_from_one_without_gaps()
    {
        Assert.Equal(Enumerable.Range(1, AuditSchema.Migrations.Count), AuditSchema.Migrations.Select(m => m.Version));
        Assert.All(AuditSchema.Migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql)));
    }
}
