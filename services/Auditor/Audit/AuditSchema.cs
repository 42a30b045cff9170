using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace Jobs.Auditor.Audit;

/// <summary>One numbered migration of the audit schema: an embedded <c>Audit/Schema/NNNN_name.sql</c> file.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql);

/// <summary>
/// The audit schema's only source: the numbered SQL files in <c>Audit/Schema</c>, applied in order, each in its own
/// transaction, and recorded in <see cref="HistoryTable"/>. Two Auditors starting together take turns (a PostgreSQL
/// advisory lock). A database the former EF Core migrations created (<c>__EFMigrationsHistory</c>) is baselined first:
/// each EF migration it applied is recorded as the SQL migration with the same DDL, so nothing runs twice and no row is lost.
/// </summary>
public static partial class AuditSchema
{
    /// <summary>The applied migrations. Prefixed: the Auditor's tables share the database with other services' tables.</summary>
    public const string HistoryTable = "auditor_schema_migrations";

    private const long LockKey = 0x4a6f62536368; // "JobSch"

    /// <summary>The EF Core migrations the SQL files replace, with the version holding the same DDL.</summary>
    private static readonly IReadOnlyDictionary<string, int> EfMigrations = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["20261122200845_Initial"] = 1,
        ["20261122211124_SweeperAndGenerations"] = 2,
        ["20261122223856_DataAudits"] = 3,
    };

    private static readonly Lazy<IReadOnlyList<SchemaMigration>> Loaded = new(Load);

    /// <summary>Every migration this build knows, in order (versions 1, 2, 3, ... without gaps).</summary>
    public static IReadOnlyList<SchemaMigration> Migrations => Loaded.Value;

    /// <summary>Brings the database up to date; returns the migrations applied now (empty when it already was).</summary>
    public static async Task<IReadOnlyList<SchemaMigration>> MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock($1)", cancellationToken, LockKey);
        try
        {
            await ExecuteAsync(connection, null, $"""
                CREATE TABLE IF NOT EXISTS {HistoryTable} (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamp with time zone NOT NULL DEFAULT now(),
                    baselined_from text
                )
                """, cancellationToken);
            await BaselineAsync(connection, logger, cancellationToken);

            var applied = new HashSet<int>();
            await using (var query = new NpgsqlCommand($"SELECT version FROM {HistoryTable}", connection))
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetInt32(0));

            if (applied.Count > 0 && applied.Max() > Migrations[^1].Version)
                logger.LogWarning("The audit schema is at version {Applied}, newer than this Auditor's {Known}; applying nothing newer",
                    applied.Max(), Migrations[^1].Version);

            var pending = Migrations.Where(m => !applied.Contains(m.Version)).ToList();
            foreach (var migration in pending)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
                await ExecuteAsync(connection, transaction, $"INSERT INTO {HistoryTable} (version, name) VALUES ($1, $2)", cancellationToken,
                    migration.Version, migration.Name);
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied audit schema migration {Version} {Name}", migration.Version, migration.Name);
            }

            return pending;
        }
        finally
        {
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock($1)", CancellationToken.None, LockKey);
        }
    }

    /// <summary>Records the EF Core migrations a database already has as the equivalent SQL migrations (once; in one transaction).</summary>
    private static async Task BaselineAsync(NpgsqlConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var efApplied = new List<string>();
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('\"__EFMigrationsHistory\"') IS NOT NULL", connection, transaction))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!) return;
        }

        await using (var query = new NpgsqlCommand("SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"", connection, transaction))
        await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) efApplied.Add(reader.GetString(0));

        var unknown = efApplied.Where(id => !EfMigrations.ContainsKey(id)).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException(
                $"The audit database has EF Core migrations no SQL migration replaces ({string.Join(", ", unknown)}); refusing to guess its schema");

        foreach (var id in efApplied)
        {
            var migration = Migrations.Single(m => m.Version == EfMigrations[id]);
            var recorded = await ExecuteAsync(connection, transaction, $"""
                INSERT INTO {HistoryTable} (version, name, baselined_from) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING
                """, cancellationToken, migration.Version, migration.Name, id);
            if (recorded == 1)
                logger.LogInformation("Audit schema migration {Version} {Name} recorded as applied: the EF Core migration {EfMigration} created it",
                    migration.Version, migration.Name, id);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in parameters) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<SchemaMigration> Load()
    {
        var assembly = typeof(AuditSchema).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Select(name => (Name: name, Match: ResourceName().Match(name)))
            .Where(r => r.Match.Success)
            .Select(r => new SchemaMigration(int.Parse(r.Match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture),
                r.Match.Groups["name"].Value, Read(assembly, r.Name)))
            .OrderBy(m => m.Version)
            .ToList();
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException(
                    $"Audit schema migrations must be numbered 1, 2, 3, ... without gaps or repeats; found {string.Join(", ", migrations.Select(m => m.Version))}");
        }

        return migrations.Count > 0 ? migrations : throw new InvalidOperationException("No audit schema migration is embedded in the Auditor");
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^Jobs\.Auditor\.Schema\.(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}
