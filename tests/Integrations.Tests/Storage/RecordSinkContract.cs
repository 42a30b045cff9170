using System.Data.Common;
using System.Text.Json.Nodes;
using Jobs.Plugins.Storage;

namespace Jobs.Integrations.Tests.Storage;

/// <summary>
/// What every database sink does, run against a real server by each subclass: creates the table from the types, upserts on the
/// key, checks a present table and names the column that does not fit, and writes all of a call or none of it.
/// </summary>
public abstract class RecordSinkContract : IAsyncLifetime
{
    private readonly List<string> _tables = [];

    protected abstract IRecordSink Sink(RecordTable table, int batchSize);

    protected abstract DbConnection Connect();

    protected abstract string Quote(string identifier);

    /// <summary>The server's type for a column of <paramref name="type"/> as a user would create it (a key column may need a length).</summary>
    protected abstract string NativeType(string type, bool key);

    /// <summary>The server's type of a string column too short for a long title.</summary>
    protected abstract string ShortString { get; }

    /// <summary>The server's text type (what a number column must not be).</summary>
    protected abstract string TextType { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var table in _tables) await ExecuteAsync($"DROP TABLE IF EXISTS {Quote(table)}");
    }

    private string NewTable()
    {
        var name = StorageRows.Unique("landed");
        _tables.Add(name);
        return name;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = Connect();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Creates <paramref name="name"/> as a user would have: the table's columns, some replaced or left out, with or without the key.</summary>
    private Task CreateAsync(string name, Dictionary<string, string?> changed, bool key = true)
    {
        var table = StorageRows.Table(name);
        var columns = table.Columns
            .Where(c => !changed.TryGetValue(c.Name, out var type) || type is not null)
            .Select(c => $"{Quote(c.Name)} {(changed.TryGetValue(c.Name, out var type) ? type : NativeType(c.Type, table.PrimaryKey.Contains(c.Name)))}");
        var primaryKey = key ? $", PRIMARY KEY ({string.Join(", ", table.PrimaryKey.Select(Quote))})" : "";
        return ExecuteAsync($"CREATE TABLE {Quote(name)} ({string.Join(", ", columns)}{primaryKey})");
    }

    /// <summary>The table's rows ordered by key, each value read back as the CLR type of its column (json compacted).</summary>
    private async Task<List<object?[]>> ReadAsync(RecordTable table)
    {
        await using var connection = Connect();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => Quote(c.Name)))} FROM {Quote(table.Name)} ORDER BY {string.Join(", ", table.PrimaryKey.Select(Quote))}";
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add([.. table.Columns.Select((c, i) => reader.IsDBNull(i) ? null : c.Type switch
            {
                ColumnTypes.Integer => Convert.ToInt64(reader.GetValue(i)),
                ColumnTypes.Number => Convert.ToDouble(reader.GetValue(i)),
                ColumnTypes.Boolean => Convert.ToBoolean(reader.GetValue(i)),
                ColumnTypes.Date => reader.GetValue(i) is DateOnly day ? day : DateOnly.FromDateTime(Convert.ToDateTime(reader.GetValue(i))),
                ColumnTypes.Timestamp => new DateTimeOffset(DateTime.SpecifyKind(Convert.ToDateTime(reader.GetValue(i)), DateTimeKind.Utc)),
                ColumnTypes.Json => JsonNode.Parse(reader.GetString(i))!.ToJsonString(),
                _ => (object)reader.GetString(i),
            })]);
        }

        return rows;
    }

    [Fact]
    public async Task When_the_table_is_missing_Should_create_it_from_the_types_and_keep_every_value()
    {
        var table = StorageRows.Table(NewTable());
        await using var sink = Sink(table, 1000);
        await sink.EnsureAsync(CancellationToken.None);
        object?[] empty = ["shop-b", 7L, null, null, null, null, null, null];
        Assert.Equal(2, await sink.UpsertAsync([StorageRows.Row("shop-a", 1, "Kettle, 1.7 l \"steel\""), empty], CancellationToken.None));

        var rows = await ReadAsync(table);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["shop-a", 1L, "Kettle, 1.7 l \"steel\"", 9.5, true, new DateOnly(2026, 11, 30), StorageRows.Seen, """{"tags":["a","b"]}"""], rows[0]);
        Assert.Equal(empty, rows[1]);
        // A second ensure finds the table it created fits.
        await sink.EnsureAsync(CancellationToken.None);
    }

    [Fact]
    public async Task When_the_same_rows_are_written_twice_Should_hold_each_key_once_with_the_last_values()
    {
        var table = StorageRows.Table(NewTable());
        await using var sink = Sink(table, 2);
        await sink.EnsureAsync(CancellationToken.None);
        await sink.UpsertAsync([.. Enumerable.Range(1, 5).Select(i => StorageRows.Row("shop", i, $"first {i}"))], CancellationToken.None);
        // A retried child writes its rows again, and within one call the last row of a key wins.
        var written = await sink.UpsertAsync(
            [.. Enumerable.Range(1, 5).Select(i => StorageRows.Row("shop", i, $"second {i}", price: i)), StorageRows.Row("shop", 3, "third 3", price: 33)],
            CancellationToken.None);

        Assert.Equal(5, written);
        var rows = await ReadAsync(table);
        Assert.Equal(["second 1", "second 2", "third 3", "second 4", "second 5"], rows.Select(r => r[2]));
        Assert.Equal([1.0, 2.0, 33.0, 4.0, 5.0], rows.Select(r => r[3]));
    }

    [Fact]
    public async Task When_a_present_table_lacks_a_column_Should_refuse_it_naming_the_column()
    {
        var name = NewTable();
        await CreateAsync(name, new() { ["in_stock"] = null });
        await using var sink = Sink(StorageRows.Table(name), 1000);
        var error = await Assert.ThrowsAsync<StorageException>(() => sink.EnsureAsync(CancellationToken.None));
        Assert.Contains($"has no column 'in_stock' (boolean)", error.Message);
    }

    [Fact]
    public async Task When_a_present_column_cannot_hold_the_type_Should_refuse_it_naming_the_column()
    {
        var name = NewTable();
        await CreateAsync(name, new() { ["price"] = TextType });
        await using var sink = Sink(StorageRows.Table(name), 1000);
        var error = await Assert.ThrowsAsync<StorageException>(() => sink.EnsureAsync(CancellationToken.None));
        Assert.Contains($"column 'price' of ", error.Message);
        Assert.Contains("which cannot hold a number", error.Message);
    }

    [Fact]
    public async Task When_a_present_table_has_no_unique_key_Should_refuse_it_because_upserts_need_one()
    {
        var name = NewTable();
        await CreateAsync(name, [], key: false);
        await using var sink = Sink(StorageRows.Table(name), 1000);
        var error = await Assert.ThrowsAsync<StorageException>(() => sink.EnsureAsync(CancellationToken.None));
        Assert.Contains("has no primary key or unique index on (shop, sku)", error.Message);
    }

    [Fact]
    public async Task When_a_later_batch_fails_Should_leave_none_of_the_calls_rows()
    {
        var name = NewTable();
        // A table the user made with a short title column: the sink accepts it (a string fits), and the server refuses a long value.
        await CreateAsync(name, new() { ["title"] = ShortString });
        var table = StorageRows.Table(name);
        await using var sink = Sink(table, 2);
        await sink.EnsureAsync(CancellationToken.None);
        await sink.UpsertAsync([StorageRows.Row("shop", 1, "old")], CancellationToken.None);

        var rows = Enumerable.Range(1, 6).Select(i => StorageRows.Row("shop", i, i == 5 ? "a title far too long for five" : $"new{i}")).ToList();
        var error = await Assert.ThrowsAsync<StorageException>(() => sink.UpsertAsync([.. rows], CancellationToken.None));

        Assert.Contains("writing 6 rows failed, none written", error.Message);
        var kept = await ReadAsync(table);
        Assert.Equal(["old"], kept.Select(r => r[2]));
    }

    [Fact]
    public async Task When_two_writers_create_the_same_table_at_once_Should_both_land_their_rows()
    {
        var table = StorageRows.Table(NewTable());
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async w =>
        {
            await using var sink = Sink(table, 1000);
            await sink.EnsureAsync(CancellationToken.None);
            await sink.UpsertAsync([StorageRows.Row($"writer{w}", w, "t")], CancellationToken.None);
        }));
        Assert.Equal(4, (await ReadAsync(table)).Count);
    }
}
