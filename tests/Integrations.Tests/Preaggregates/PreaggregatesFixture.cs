using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Integrations.Tests.Preaggregates;

/// <summary>
/// The real Redis and two PostgreSQL databases that play two data sources (tests create their own tables in them);
/// databases a test creates to drop later are dropped at the end too.
/// </summary>
public sealed class PreaggregatesFixture : IAsyncLifetime
{
    private readonly List<string> _databases = [];

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public string SourceA { get; private set; } = "";

    public string SourceB { get; private set; } = "";

    /// <summary>The platform's own database, as the job runner hands it to every plugin.</summary>
    public NpgsqlDataSource Platform { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(await Infrastructure.RedisAsync()));
        SourceA = await CreateDatabaseAsync();
        SourceB = await CreateDatabaseAsync();
        Platform = NpgsqlDataSource.Create(SourceA);
    }

    /// <summary>A new empty database (a source of its own, e.g. one to drop).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var database = await Infrastructure.CreateDatabaseAsync("preagg");
        lock (_databases) _databases.Add(database);
        return database;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Creates a table with one time column of <paramref name="type"/> holding <paramref name="values"/>; returns its name.</summary>
    public static async Task<string> TableAsync(string connectionString, string column, string type, params string[] values)
    {
        var table = $"preagg_{Guid.NewGuid():N}"[..20];
        var rows = values.Length == 0 ? "" : $"INSERT INTO {table} ({column}) VALUES {string.Join(", ", values.Select(v => $"('{v}')"))};";
        await ExecuteAsync(connectionString, $"CREATE TABLE {table} ({column} {type} NOT NULL, amount int NOT NULL DEFAULT 1); {rows}");
        return table;
    }

    public async Task DisposeAsync()
    {
        if (Platform is not null) await Platform.DisposeAsync();
        foreach (var database in _databases) await Infrastructure.DropDatabaseAsync(database);
        if (Redis is not null) await Redis.DisposeAsync();
    }
}
