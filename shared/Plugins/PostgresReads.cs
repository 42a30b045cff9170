using Npgsql;

namespace Jobs.Plugins;

/// <summary>Reads rows for a plugin's data queries; a table the plugin has not created yet reads as empty.</summary>
public static class PostgresReads
{
    private const string UndefinedTable = "42P01";

    public static async Task<IReadOnlyList<T>> ListAsync<T>(
        NpgsqlDataSource postgres, string sql, Action<NpgsqlParameterCollection> bind, Func<NpgsqlDataReader, T> map,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var command = postgres.CreateCommand(sql);
            bind(command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
            return rows;
        }
        catch (PostgresException e) when (e.SqlState == UndefinedTable)
        {
            return [];
        }
    }
}
