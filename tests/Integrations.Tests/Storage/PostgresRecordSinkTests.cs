using System.Data.Common;
using Jobs.Plugins.Storage;
using Npgsql;

namespace Jobs.Integrations.Tests.Storage;

/// <summary>The sink contract against the real PostgreSQL, in a database of the test's own, and a schema other than public.</summary>
public sealed class PostgresRecordSinkTests(HostFixture host) : RecordSinkContract, IClassFixture<HostFixture>
{
    protected override IRecordSink Sink(RecordTable table, int batchSize) =>
        new PostgresRecordSink(host.Postgres, table, null, batchSize, $"postgres test table {table.Name}");

    protected override DbConnection Connect() => host.Postgres.CreateConnection();

    protected override string Quote(string identifier) => $"\"{identifier}\"";

    protected override string NativeType(string type, bool key) => type switch
    {
        ColumnTypes.Integer => "bigint",
        ColumnTypes.Number => "numeric",
        ColumnTypes.Boolean => "boolean",
        ColumnTypes.Date => "date",
        ColumnTypes.Timestamp => "timestamptz",
        ColumnTypes.Json => "json",
        _ => "varchar(100)",
    };

    protected override string ShortString => "varchar(5)";

    protected override string TextType => "text";

    [Fact]
    public async Task When_a_schema_is_named_Should_land_there_and_say_when_it_does_not_exist()
    {
        await using (var create = host.Postgres.CreateCommand("CREATE SCHEMA IF NOT EXISTS landing")) await create.ExecuteNonQueryAsync();
        var table = StorageRows.Table(StorageRows.Unique("landed"));
        await using var sink = new PostgresRecordSink(host.Postgres, table, "landing", 1000, "postgres landing");
        await sink.EnsureAsync(CancellationToken.None);
        await sink.UpsertAsync([StorageRows.Row("s", 1, "t")], CancellationToken.None);
        await using (var count = host.Postgres.CreateCommand($"SELECT count(*) FROM landing.\"{table.Name}\""))
            Assert.Equal(1L, await count.ExecuteScalarAsync());

        await using var missing = new PostgresRecordSink(host.Postgres, table, "nowhere", 1000, "postgres nowhere");
        var error = await Assert.ThrowsAsync<StorageException>(() => missing.EnsureAsync(CancellationToken.None));
        Assert.Equal("postgres nowhere: schema 'nowhere' does not exist", error.Message);
    }
}
