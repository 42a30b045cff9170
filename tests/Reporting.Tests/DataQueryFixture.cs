using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Jobs.Reporting.Tests;

/// <summary>
/// Reporting in memory on a database of its own (created here, dropped at the end), for the <c>/data</c> queries:
/// tests fill the integrations' tables there without touching a running system's data.
/// </summary>
public sealed class DataQueryFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;
    private string _database = "";

    public NpgsqlDataSource Postgres { get; private set; } = null!;

    public Uri VirtualHost { get; private set; } = null!;

    public string AdminKey { get; } = Guid.NewGuid().ToString("N");

    /// <summary>A client with the given key, the administrator's unless told.</summary>
    public HttpClient Client(string? key = "admin")
    {
        var client = _factory!.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Add("X-Api-Key", key == "admin" ? AdminKey : key);
        return client;
    }

    public async Task InitializeAsync()
    {
        VirtualHost = await Infrastructure.CreateVirtualHostAsync("reporting-data-tests");
        _database = await Infrastructure.CreateDatabaseAsync("reporting_data");
        Postgres = NpgsqlDataSource.Create(_database);
        var redisUrl = await Infrastructure.RedisAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting(Connections.RabbitMqKey, VirtualHost.ToString());
            builder.UseSetting(Connections.RedisKey, redisUrl);
            builder.UseSetting(Connections.PostgresKey, _database);
            builder.UseSetting("Security:AdminKey", AdminKey);
        });
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Postgres.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
        if (_database.Length > 0) await Infrastructure.DropDatabaseAsync(_database);
        if (VirtualHost is not null) await Infrastructure.DeleteVirtualHostAsync(VirtualHost);
    }
}
