using System.Text;
using MySqlConnector;

namespace Jobs.Plugins.Storage;

/// <summary>
/// Rows upserted into a MySQL or MariaDB table (<c>INSERT … VALUES (…), (…) ON DUPLICATE KEY UPDATE</c>), every batch of a write
/// in one transaction (InnoDB). The table is created from the column types when missing and checked when present. Timestamps are
/// stored in UTC in <c>DATETIME(6)</c> columns (MySQL's own time zones do not enter).
/// </summary>
public sealed class MySqlRecordSink : IRecordSink
{
    private readonly string _connectionString;
    private readonly RecordTable _table;
    private readonly int _batchSize;

    public MySqlRecordSink(string connectionString, RecordTable table, int batchSize, string description)
    {
        if (table.Problems() is { Count: > 0 } problems) throw new StorageException(string.Join("; ", problems));
        _connectionString = connectionString;
        _table = table;
        _batchSize = batchSize;
        Description = description;
    }

    public string Description { get; }

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // A named lock, so two children starting together do not both create the table.
        var lockName = $"storage:{_table.Name}";
        await using (var command = new MySqlCommand("SELECT GET_LOCK(@name, 30)", connection))
        {
            command.Parameters.AddWithValue("@name", lockName);
            await command.ExecuteScalarAsync(cancellationToken);
        }

        try
        {
            var existing = await ColumnsAsync(connection, cancellationToken);
            if (existing.Count == 0)
            {
                var columns = string.Join(", ", _table.Columns.Select(c =>
                    $"{Quote(c.Name)} {SqlType(c.Type, _table.PrimaryKey.Contains(c.Name))}{(_table.PrimaryKey.Contains(c.Name) ? " NOT NULL" : " NULL")}"));
                var key = string.Join(", ", _table.PrimaryKey.Select(Quote));
                await using var create = new MySqlCommand(
                    $"CREATE TABLE IF NOT EXISTS {Quote(_table.Name)} ({columns}, PRIMARY KEY ({key})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                foreach (var column in _table.Columns)
                {
                    if (!existing.TryGetValue(column.Name, out var type))
                        throw new StorageException($"{Description}: table {_table.Name} has no column '{column.Name}' ({column.Type})");
                    if (!Fits(column.Type, type))
                        throw new StorageException($"{Description}: column '{column.Name}' of {_table.Name} is {type}, which cannot hold a {column.Type} (expected {SqlType(column.Type, false)})");
                }

                if (!await HasUniqueKeyAsync(connection, cancellationToken))
                    throw new StorageException($"{Description}: table {_table.Name} has no primary key or unique index on ({string.Join(", ", _table.PrimaryKey)}), which upserts need");
            }
        }
        catch (MySqlException e)
        {
            throw new StorageException($"{Description}: {e.Message}", e);
        }
        finally
        {
            await using var release = new MySqlCommand("SELECT RELEASE_LOCK(@name)", connection);
            release.Parameters.AddWithValue("@name", lockName);
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    public async Task<int> UpsertAsync(IReadOnlyList<IReadOnlyList<object?>> rows, CancellationToken cancellationToken)
    {
        var distinct = _table.Distinct(rows);
        if (distinct.Count == 0) return 0;
        var names = string.Join(", ", _table.Columns.Select(c => Quote(c.Name)));
        var nonKey = _table.Columns.Where(c => !_table.PrimaryKey.Contains(c.Name)).ToList();
        // Without other columns a duplicate key changes nothing: set the key to itself.
        var update = string.Join(", ", (nonKey.Count == 0 ? _table.Columns.Where(c => _table.PrimaryKey.Contains(c.Name)).Take(1) : nonKey)
            .Select(c => $"{Quote(c.Name)} = VALUES({Quote(c.Name)})"));

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            foreach (var batch in distinct.Chunk(_batchSize))
            {
                var sql = new StringBuilder($"INSERT INTO {Quote(_table.Name)} ({names}) VALUES ");
                await using var command = new MySqlCommand { Connection = connection, Transaction = transaction };
                for (var r = 0; r < batch.Length; r++)
                {
                    sql.Append(r == 0 ? "(" : ", (");
                    for (var c = 0; c < _table.Columns.Count; c++)
                    {
                        var parameter = $"@r{r}c{c}";
                        sql.Append(c == 0 ? parameter : ", " + parameter);
                        command.Parameters.AddWithValue(parameter, Value(batch[r][c]));
                    }

                    sql.Append(')');
                }

                sql.Append(" ON DUPLICATE KEY UPDATE ").Append(update);
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (MySqlException e)
        {
            throw new StorageException($"{Description}: writing {distinct.Count} rows failed, none written: {e.Message}", e);
        }

        return distinct.Count;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (MySqlException e)
        {
            await connection.DisposeAsync();
            throw new StorageException($"{Description}: cannot connect: {e.Message}", e);
        }
    }

    private static object Value(object? value) => value switch
    {
        null => DBNull.Value,
        DateTimeOffset t => t.UtcDateTime,
        DateOnly d => d.ToDateTime(TimeOnly.MinValue),
        _ => value,
    };

    // A key column cannot be TEXT in MySQL (an index needs a length): strings in a key are VARCHAR(255).
    private static string SqlType(string type, bool key) => type switch
    {
        ColumnTypes.String => key ? "VARCHAR(255)" : "LONGTEXT",
        ColumnTypes.Integer => "BIGINT",
        ColumnTypes.Number => "DOUBLE",
        ColumnTypes.Boolean => "BOOLEAN",
        ColumnTypes.Date => "DATE",
        ColumnTypes.Timestamp => "DATETIME(6)",
        ColumnTypes.Json => "JSON",
        _ => "LONGTEXT",
    };

    /// <summary>Whether a present column of MySQL <c>DATA_TYPE</c> <paramref name="existing"/> takes values of <paramref name="type"/>.</summary>
    private static bool Fits(string type, string existing) => type switch
    {
        // MariaDB's JSON is LONGTEXT with a check, so a text column takes json and json columns read back as longtext.
        ColumnTypes.String => existing is "varchar" or "char" or "text" or "mediumtext" or "longtext" or "tinytext",
        ColumnTypes.Integer => existing is "bigint" or "decimal",
        ColumnTypes.Number => existing is "double" or "decimal",
        ColumnTypes.Boolean => existing is "tinyint" or "bit" or "boolean",
        ColumnTypes.Date => existing is "date",
        ColumnTypes.Timestamp => existing is "datetime" or "timestamp",
        ColumnTypes.Json => existing is "json" or "longtext" or "mediumtext" or "text",
        _ => false,
    };

    private async Task<Dictionary<string, string>> ColumnsAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(
            "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table", connection);
        command.Parameters.AddWithValue("@table", _table.Name);
        var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) columns[reader.GetString(0)] = reader.GetString(1).ToLowerInvariant();
        return columns;
    }

    private async Task<bool> HasUniqueKeyAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("""
            SELECT INDEX_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME SEPARATOR ',')
            FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table AND NON_UNIQUE = 0
            GROUP BY INDEX_NAME
            """, connection);
        command.Parameters.AddWithValue("@table", _table.Name);
        var wanted = string.Join(',', _table.PrimaryKey.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var columns = string.Join(',', reader.GetString(1).Split(',').Select(c => c.ToLowerInvariant()).Order(StringComparer.Ordinal));
            if (columns == wanted) return true;
        }

        return false;
    }

    private static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";
}
