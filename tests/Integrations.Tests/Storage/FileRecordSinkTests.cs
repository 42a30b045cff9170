using System.Text.Json.Nodes;
using Jobs.Plugins.Storage;

namespace Jobs.Integrations.Tests.Storage;

/// <summary>CSV and JSON Lines files: upserted on the key, replaced whole by an atomic rename, checked against the rows' columns.</summary>
public sealed class FileRecordSinkTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), StorageRows.Unique("files"));

    public FileRecordSinkTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private FileRecordSink Sink(string type, string file = "products") =>
        new(Path.Combine(_directory, $"{file}.{type}"), StorageRows.Table("products"), type, $"{type} test file");

    /// <summary>Files other than the lock files: no temporary file is ever left behind.</summary>
    private string[] Files() => [.. Directory.GetFiles(_directory).Select(Path.GetFileName).Where(f => !f!.EndsWith(".lock", StringComparison.Ordinal)).Order()!];

    [Fact]
    public async Task When_rows_go_to_a_csv_file_Should_write_a_header_and_quote_what_needs_it()
    {
        await using var sink = Sink(StorageTypes.Csv);
        await sink.EnsureAsync(CancellationToken.None);
        await sink.UpsertAsync([StorageRows.Row("shop", 1, "Kettle, \"steel\"\nline two"), StorageRows.Row("shop", 2, null, 0.1, false)], CancellationToken.None);

        var text = await File.ReadAllTextAsync(Path.Combine(_directory, "products.csv"));
        Assert.Equal(
            "shop,sku,title,price,in_stock,day,seen_at,extra\r\n" +
            "shop,1,\"Kettle, \"\"steel\"\"\nline two\",9.5,true,2026-11-30,2026-11-30T22:15:30Z,\"{\"\"tags\"\":[\"\"a\"\",\"\"b\"\"]}\"\r\n" +
            "shop,2,,0.1,false,2026-11-30,2026-11-30T22:15:30Z,\"{\"\"tags\"\":[\"\"a\"\",\"\"b\"\"]}\"\r\n", text);
        Assert.Equal(["products.csv"], Files());
    }

    [Theory]
    [InlineData(StorageTypes.Csv)]
    [InlineData(StorageTypes.JsonLines)]
    public async Task When_rows_are_written_again_Should_replace_them_in_place_and_append_new_keys(string type)
    {
        await using var sink = Sink(type);
        await sink.EnsureAsync(CancellationToken.None);
        await sink.UpsertAsync([StorageRows.Row("shop", 1, "one"), StorageRows.Row("shop", 2, "two"), StorageRows.Row("shop", 3, "three")], CancellationToken.None);
        // A retry writes the same keys again; the second sink reads what the first wrote.
        await using var again = Sink(type);
        Assert.Equal(2, await again.UpsertAsync([StorageRows.Row("shop", 2, "TWO"), StorageRows.Row("shop", 4, "four")], CancellationToken.None));

        var lines = (await File.ReadAllLinesAsync(Path.Combine(_directory, $"products.{type}"))).Skip(type == StorageTypes.Csv ? 1 : 0).ToList();
        Assert.Equal(4, lines.Count);
        var titles = type == StorageTypes.Csv
            ? lines.Select(l => l.Split(',')[2])
            : lines.Select(l => JsonNode.Parse(l)!["title"]!.GetValue<string>());
        Assert.Equal(["one", "TWO", "three", "four"], titles);
        Assert.Equal([$"products.{type}"], Files());
    }

    [Fact]
    public async Task When_rows_go_to_a_jsonl_file_Should_keep_each_type_as_json()
    {
        await using var sink = Sink(StorageTypes.JsonLines);
        await sink.UpsertAsync([StorageRows.Row("shop", 1, null)], CancellationToken.None);
        var line = JsonNode.Parse(File.ReadAllLines(Path.Combine(_directory, "products.jsonl")).Single())!;
        Assert.Equal(1, line["sku"]!.GetValue<long>());
        Assert.Null(line["title"]);
        Assert.True(line["in_stock"]!.GetValue<bool>());
        Assert.Equal("2026-11-30T22:15:30Z", line["seen_at"]!.GetValue<string>());
        Assert.Equal(["a", "b"], line["extra"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task When_a_present_csv_file_has_other_columns_Should_refuse_it_naming_the_column_and_leave_it_as_it_was()
    {
        var path = Path.Combine(_directory, "products.csv");
        const string other = "shop,sku,title,price,in_stock,day,seen_at,notes\r\nx,1,t,1,true,2026-01-01,2026-01-01T00:00:00Z,n\r\n";
        await File.WriteAllTextAsync(path, other);
        await using var sink = Sink(StorageTypes.Csv);

        var error = await Assert.ThrowsAsync<StorageException>(() => sink.EnsureAsync(CancellationToken.None));
        Assert.Equal("csv test file: the file has no column 'extra' (its header: shop, sku, title, price, in_stock, day, seen_at, notes)", error.Message);
        await Assert.ThrowsAsync<StorageException>(() => sink.UpsertAsync([StorageRows.Row("shop", 1, "t")], CancellationToken.None));
        Assert.Equal(other, await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task When_a_present_jsonl_file_has_a_broken_line_Should_refuse_it_naming_the_line()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "products.jsonl"), "{\"shop\":\"s\",\"sku\":1}\nnot json\n");
        await using var sink = Sink(StorageTypes.JsonLines);
        var error = await Assert.ThrowsAsync<StorageException>(() => sink.UpsertAsync([StorageRows.Row("shop", 1, "t")], CancellationToken.None));
        Assert.StartsWith("jsonl test file: line 2 is not a JSON object", error.Message);
    }

    [Fact]
    public async Task When_writers_of_the_same_file_run_at_once_Should_keep_every_writers_rows()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            await using var sink = Sink(StorageTypes.JsonLines);
            for (var i = 0; i < 5; i++) await sink.UpsertAsync([StorageRows.Row($"writer{w}", i, "t")], CancellationToken.None);
        })));
        Assert.Equal(40, File.ReadAllLines(Path.Combine(_directory, "products.jsonl")).Length);
        Assert.Equal(["products.jsonl"], Files());
    }
}
