using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Integrations.Tests;

/// <summary>The real Redis and a fresh PostgreSQL database for the host tests (the database is dropped at the end).</summary>
public sealed class HostFixture : IAsyncLifetime
{
    private string _database = "";

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public NpgsqlDataSource Postgres { get; private set; } = null!;

    public string DatabaseName => new NpgsqlConnectionStringBuilder(_database).Database!;

    /// <summary>The test database's connection string, for a test that needs a data source (a pool) of its own.</summary>
    public string ConnectionString => _database;

    public async Task InitializeAsync()
    {
        Redis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(await Infrastructure.RedisAsync()));
        _database = await Infrastructure.CreateDatabaseAsync("integrations");
        Postgres = NpgsqlDataSource.Create(_database);
    }

    public async Task DisposeAsync()
    {
        if (Postgres is not null) await Postgres.DisposeAsync();
        if (_database.Length > 0) await Infrastructure.DropDatabaseAsync(_database);
        if (Redis is not null) await Redis.DisposeAsync();
    }
}
