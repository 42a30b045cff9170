using System.Data.Common;
using Jobs.Plugins.Storage;
using Jobs.TestSupport;
using MySqlConnector;

namespace Jobs.Integrations.Tests.Storage;

/// <summary>The sink contract against the real MariaDB infra/start.sh runs (<c>MYSQL_URL</c>), in tables of the test's own.</summary>
public sealed class MySqlRecordSinkTests : RecordSinkContract
{
    private readonly string _server = Infrastructure.MySql();

    protected override IRecordSink Sink(RecordTable table, int batchSize) =>
        new MySqlRecordSink(_server, table, batchSize, $"mysql test table {table.Name}");

    protected override DbConnection Connect() => new MySqlConnection(_server);

    protected override string Quote(string identifier) => $"`{identifier}`";

    protected override string NativeType(string type, bool key) => type switch
    {
        ColumnTypes.Integer => "BIGINT",
        ColumnTypes.Number => "DECIMAL(12,2)",
        ColumnTypes.Boolean => "TINYINT(1)",
        ColumnTypes.Date => "DATE",
        ColumnTypes.Timestamp => "DATETIME(6)",
        ColumnTypes.Json => "LONGTEXT",
        _ => key ? "VARCHAR(64)" : "TEXT",
    };

    protected override string ShortString => "VARCHAR(5)";

    protected override string TextType => "TEXT";

    [Fact]
    public async Task When_the_server_is_unreachable_Should_say_so_without_the_password()
    {
        var unreachable = new MySqlConnectionStringBuilder(_server) { Port = 1, Password = "p4ssw0rd-unreachable", ConnectionTimeout = 2 }.ConnectionString;
        await using var sink = new MySqlRecordSink(unreachable, StorageRows.Table("x"), 10, "mysql nowhere");
        var error = await Assert.ThrowsAsync<StorageException>(() => sink.EnsureAsync(CancellationToken.None));
        Assert.StartsWith("mysql nowhere: ", error.Message);
        Assert.DoesNotContain("p4ssw0rd-unreachable", error.Message);
    }
}
