using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Plugins.Preaggregates;

/// <summary>Reads preaggregate tables of PostgreSQL sources; one connection pool per source, kept for the process.</summary>
public sealed class PostgresPreaggregateReader(IOptions<PreaggregatesOptions> options) : IPreaggregateReader, IAsyncDisposable
{
    public const string KindName = "postgres";

    private readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> _pools = new(StringComparer.Ordinal);

    public string Kind => KindName;

    public async Task<LoadedRange?> ReadRangeAsync(PreaggregateSourceOptions source, string table, string column, CancellationToken cancellationToken)
    {
        var quotedColumn = Quote(column);
        await using var command = Pool(source.ConnectionString).CreateCommand($"SELECT min({quotedColumn}), max({quotedColumn}) FROM {Quote(table)}");
        command.CommandTimeout = options.Value.CommandTimeoutSeconds;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.IsDBNull(0)) return null;
        return new LoadedRange(Read(reader, 0, table, column), Read(reader, 1, table, column));
    }

    private static SourceTime Read(NpgsqlDataReader reader, int ordinal, string table, string column) => reader.GetDataTypeName(ordinal) switch
    {
        "timestamp with time zone" => SourceTime.Instant(reader.GetFieldValue<DateTimeOffset>(ordinal)),
        "timestamp without time zone" => SourceTime.Wall(reader.GetDateTime(ordinal)),
        "date" => SourceTime.Wall(reader.GetFieldValue<DateOnly>(ordinal)),
        var other => throw new InvalidOperationException(
            $"column {column} of {table} is of type {other}; a preaggregate time column must be date, timestamp or timestamptz"),
    };

    /// <summary>Quotes a (possibly schema-qualified) name from configuration, so it can only ever name a table or column.</summary>
    internal static string Quote(string name) =>
        string.Join('.', name.Split('.').Select(part => "\"" + part.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));

    private NpgsqlDataSource Pool(string connectionString) => _pools.GetOrAdd(connectionString, value => new Lazy<NpgsqlDataSource>(() =>
    {
        var builder = new NpgsqlConnectionStringBuilder(Jobs.ServiceDefaults.Connections.PostgresConnectionString(value))
        {
            Timeout = options.Value.ConnectTimeoutSeconds,
            ApplicationName = "preaggregates-metadata",
        };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    })).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values.Where(p => p.IsValueCreated)) await pool.Value.DisposeAsync();
        _pools.Clear();
    }
}
