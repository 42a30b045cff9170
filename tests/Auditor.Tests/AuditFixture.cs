using Jobs.Auditor.Audit;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Auditor.Tests;

/// <summary>
/// A fresh database with the real audit migrations applied, and the <see cref="JobEventsConsumer"/> on MassTransit's
/// in-memory test harness writing to it. The database is dropped at the end.
/// </summary>
public sealed class AuditFixture : IAsyncLifetime
{
    /// <summary>The platform with a data audit rule: its <c>products</c> may drop by at most 20% between runs.</summary>
    public const string AuditedPlatform = "shop";

    private ServiceProvider? _provider;

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public ITestHarness Harness { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    /// <summary>The sweeper, with a 1 s child timeout (run by the tests, not on a timer).</summary>
    public StuckJobSweeper Sweeper => _provider!.GetRequiredService<StuckJobSweeper>();

    /// <summary>Completed consumptions of <see cref="ChildJobsFinished"/> per root job, redeliveries included.</summary>
    public ConsumptionCounter<ChildJobsFinished> ChildBatches { get; } = new(m => m.RootJobId);

    public async Task InitializeAsync()
    {
        ConnectionString = await Infrastructure.CreateDatabaseAsync("audit");
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await AuditSchema.MigrateAsync(DataSource, NullLogger.Instance, CancellationToken.None);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(DataSource);
        Redis = await ConnectionMultiplexer.ConnectAsync(Connections.RedisOptions(await Infrastructure.RedisAsync()));
        services.AddSingleton(Redis);
        services.AddSingleton<PlatformCatalog>();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auditor:ChildTimeout"] = "00:00:01",
        }).Build());
        services.AddAuditorOptions();
        services.AddSingleton<StuckJobSweeper>();
        services.AddSingleton<AuditWriter>();
        services.AddSingleton(new DataAudits([new DataAuditRule { Platform = AuditedPlatform, Dataset = "products", MaxDropShare = 0.2 }]));
        services.AddMassTransitTestHarness(x =>
        {
            x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(5));
            x.AddConsumer<JobEventsConsumer, JobEventsConsumerDefinition>();
        });
        _provider = services.BuildServiceProvider(validateScopes: true);
        Harness = _provider.GetRequiredService<ITestHarness>();
        await Harness.Start();
        Harness.Bus.ConnectConsumeMessageObserver(ChildBatches);
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await Harness.Stop();
            await _provider.DisposeAsync();
        }

        if (DataSource is not null) await DataSource.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (ConnectionString.Length > 0) await Infrastructure.DropDatabaseAsync(ConnectionString);
    }

    public Task Publish<T>(T message, Guid? messageId = null) where T : class =>
        messageId is { } id ? Harness.Bus.Publish(message, ctx => ctx.MessageId = id) : Harness.Bus.Publish(message);

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }

    public async Task<List<Dictionary<string, object?>>> RowsAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }

        return rows;
    }
}
