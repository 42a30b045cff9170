using Jobs.Plugins.Storage;

namespace Jobs.Integrations.Tests.Storage;

/// <summary>The table the storage tests land: one of each column type, keyed by (shop, sku).</summary>
internal static class StorageRows
{
    public static RecordTable Table(string name) => new(name,
    [
        new Column("shop", ColumnTypes.String),
        new Column("sku", ColumnTypes.Integer),
        new Column("title", ColumnTypes.String),
        new Column("price", ColumnTypes.Number),
        new Column("in_stock", ColumnTypes.Boolean),
        new Column("day", ColumnTypes.Date),
        new Column("seen_at", ColumnTypes.Timestamp),
        new Column("extra", ColumnTypes.Json),
    ], ["shop", "sku"]);

    public static readonly DateTimeOffset Seen = new(2026, 11, 30, 22, 15, 30, TimeSpan.Zero);

    public static object?[] Row(string shop, long sku, string? title, double price = 9.5, bool inStock = true) =>
        [shop, sku, title, price, inStock, new DateOnly(2026, 11, 30), Seen, """{"tags":["a","b"]}"""];

    public static string Unique(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
