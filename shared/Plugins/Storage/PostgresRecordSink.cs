using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Jobs.Plugins.Storage;

/// <summary>
/// Rows upserted into a PostgreSQL table (<c>INSERT … SELECT FROM unnest(…) ON CONFLICT (key) DO UPDATE</c>), every batch of a
/// write in one transaction. The table is created from the column types when missing (under an advisory lock, so two children
/// starting together do not race) and checked when present.
/// </summary>
public sealed class PostgresRecordSink : IRecordSink
{
    private readonly NpgsqlDataSource _postgres;
    private readonly RecordTable _table;
    private readonly string _schema;
    private readonly int _batchSize;
    private readonly string _qualified;

    public PostgresRecordSink(NpgsqlDataSource postgres, RecordTable table, string? schema, int batchSize, string description)
    {
        if (table.Problems() is { Count: > 0 } problems) throw new StorageException(string.Join("; ", problems));
        _postgres = postgres;
        _table = table;
        _schema = schema ?? "public";
        _batchSize = batchSize;
        _qualified = $"{Quote(_schema)}.{Quote(table.Name)}";
        Description = description;
    }

    public string Description { get; }

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _postgres.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext(@name))", cancellationToken, ("name", $"storage:{_schema}.{_table.Name}"));
        var existing = await ColumnsAsync(connection, transaction, cancellationToken);
        if (existing.Count == 0)
        {
            var columns = string.Join(", ", _table.Columns.Select(c =>
                $"{Quote(c.Name)} {SqlType(c.Type)}{(_table.PrimaryKey.Contains(c.Name) ? " NOT NULL" : "")}"));
            var key = string.Join(", ", _table.PrimaryKey.Select(Quote));
            try
            {
                await Execute(connection, transaction, $"CREATE TABLE {_qualified} ({columns}, PRIMARY KEY ({key}))", cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidSchemaName)
            {
                throw new StorageException($"{Description}: schema '{_schema}' does not exist", e);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege)
            {
                throw new StorageException($"{Description}: may not create table {_schema}.{_table.Name}: {e.MessageText}", e);
            }
        }
        else
        {
            foreach (var column in _table.Columns)
            {
                if (!existing.TryGetValue(column.Name, out var type))
                    throw new StorageException($"{Description}: table {_schema}.{_table.Name} has no column '{column.Name}' ({column.Type})");
                if (!Fits(column.Type, type))
                    throw new StorageException($"{Description}: column '{column.Name}' of {_schema}.{_table.Name} is {type}, which cannot hold a {column.Type} (expected {SqlType(column.Type)})");
            }

            if (!await HasUniqueKeyAsync(connection, transaction, cancellationToken))
                throw new StorageException($"{Description}: table {_schema}.{_table.Name} has no primary key or unique index on ({string.Join(", ", _table.PrimaryKey)}), which upserts need");
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<int> UpsertAsync(IReadOnlyList<IReadOnlyList<object?>> rows, CancellationToken cancellationToken)
    {
        var distinct = _table.Distinct(rows);
        if (distinct.Count == 0) return 0;
        var names = string.Join(", ", _table.Columns.Select(c => Quote(c.Name)));
        var arrays = string.Join(", ", _table.Columns.Select((c, i) => $"@p{i}::{SqlType(c.Type)}[]"));
        var nonKey = _table.Columns.Where(c => !_table.PrimaryKey.Contains(c.Name)).ToList();
        var update = nonKey.Count == 0
            ? "DO NOTHING"
            : "DO UPDATE SET " + string.Join(", ", nonKey.Select(c => $"{Quote(c.Name)} = excluded.{Quote(c.Name)}"));
        var sql = $"INSERT INTO {_qualified} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT ({string.Join(", ", _table.PrimaryKey.Select(Quote))}) {update}";

        await using var connection = await _postgres.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            foreach (var batch in distinct.Chunk(_batchSize))
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction);
                for (var i = 0; i < _table.Columns.Count; i++) command.Parameters.Add(Parameter($"p{i}", _table.Columns[i].Type, batch, i));
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new StorageException($"{Description}: writing {distinct.Count} rows failed, none written: {e.MessageText}{(e.ColumnName is { } c ? $" (column {c})" : "")}", e);
        }

        return distinct.Count;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static NpgsqlParameter Parameter(string name, string type, IReadOnlyList<object?>[] rows, int column)
    {
        object?[] values = [.. rows.Select(r => r[column] switch
        {
            DateTimeOffset t => t.UtcDateTime,
            var v => v,
        })];
        // Typed arrays, so Npgsql sends each as the column's type (a json column goes as text, cast in the statement).
        Array array = type switch
        {
            ColumnTypes.Integer => values.Select(v => (long?)v).ToArray(),
            ColumnTypes.Number => values.Select(v => (double?)v).ToArray(),
            ColumnTypes.Boolean => values.Select(v => (bool?)v).ToArray(),
            ColumnTypes.Date => values.Select(v => (DateOnly?)v).ToArray(),
            ColumnTypes.Timestamp => values.Select(v => (DateTime?)v).ToArray(),
            _ => values.Select(v => (string?)v).ToArray(),
        };
        var dbType = type switch
        {
            ColumnTypes.Integer => NpgsqlDbType.Bigint,
            ColumnTypes.Number => NpgsqlDbType.Double,
            ColumnTypes.Boolean => NpgsqlDbType.Boolean,
            ColumnTypes.Date => NpgsqlDbType.Date,
            ColumnTypes.Timestamp => NpgsqlDbType.TimestampTz,
            _ => NpgsqlDbType.Text,
        };
        return new NpgsqlParameter(name, NpgsqlDbType.Array | dbType) { Value = array };
    }

    private static string SqlType(string type) => type switch
    {
        ColumnTypes.Integer => "bigint",
        ColumnTypes.Number => "double precision",
        ColumnTypes.Boolean => "boolean",
        ColumnTypes.Date => "date",
        ColumnTypes.Timestamp => "timestamptz",
        ColumnTypes.Json => "jsonb",
        _ => "text",
    };

    /// <summary>Whether a present column of PostgreSQL type <paramref name="existing"/> (its <c>data_type</c>) takes values of <paramref name="type"/>.</summary>
    private static bool Fits(string type, string existing) => type switch
    {
        ColumnTypes.String => existing is "text" or "character varying" or "character" or "citext",
        ColumnTypes.Integer => existing is "bigint" or "numeric",
        ColumnTypes.Number => existing is "double precision" or "numeric",
        ColumnTypes.Boolean => existing is "boolean",
        ColumnTypes.Date => existing is "date",
        ColumnTypes.Timestamp => existing is "timestamp with time zone",
        ColumnTypes.Json => existing is "jsonb" or "json",
        _ => false,
    };

    private async Task<Dictionary<string, string>> ColumnsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = @schema AND table_name = @table", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("schema", _schema));
        command.Parameters.Add(new NpgsqlParameter<string>("table", _table.Name));
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) columns[reader.GetString(0)] = reader.GetString(1);
        return columns;
    }

    /// <summary>Whether a unique index (the primary key is one) covers exactly the key columns, as <c>ON CONFLICT</c> needs.</summary>
    private async Task<bool> HasUniqueKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT array_agg(a.attname::text ORDER BY a.attname)
            FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = to_regclass(@qualified) AND i.indisunique AND i.indpred IS NULL
            GROUP BY i.indexrelid
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string>("qualified", _qualified));
        var wanted = _table.PrimaryKey.Order(StringComparer.Ordinal).ToArray();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var columns = reader.GetFieldValue<string[]>(0).Order(StringComparer.Ordinal).ToArray();
            if (columns.SequenceEqual(wanted, StringComparer.Ordinal)) return true;
        }

        return false;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken,
        params (string Name, string Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.Add(new NpgsqlParameter<string>(name, value));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Quote(string identifier) => new StringBuilder().Append('"').Append(identifier.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"').ToString();
}
