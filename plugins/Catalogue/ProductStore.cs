using System.Threading.Channels;
using Npgsql;

namespace Jobs.Plugins.Catalogue;

/// <summary>What writing one product did: created it, changed its price and/or availability, or only marked it synced.</summary>
internal sealed record ProductWrite(bool Created, IReadOnlyList<string> Changed);

/// <summary>
/// The <c>products</c> table (unique vendor + sku) and <c>product_history</c> (one row per change of price or
/// availability, with the values after it and its time). Product runs of one process hand their products to a shared
/// writer that upserts them in batches; a batch that fails is retried one product at a time, so a bad product fails
/// only its own run.
/// </summary>
internal sealed class ProductStore(NpgsqlDataSource postgres, int batchSize, TimeSpan linger) : IAsyncDisposable
{
    public static Task EnsureSchemaAsync(NpgsqlDataSource postgres, CancellationToken cancellationToken) =>
        PostgresSchema.ApplyAsync(postgres, "catalogue-schema", Schema, cancellationToken);

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS products (
            id bigserial PRIMARY KEY,
            vendor text NOT NULL,
            sku text NOT NULL,
            name text NOT NULL,
            price numeric(12, 2),
            brand text,
            availability text,
            release_year integer,
            link text NOT NULL,
            last_synced_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT products_vendor_sku UNIQUE (vendor, sku)
        );
        CREATE INDEX IF NOT EXISTS products_vendor_link ON products (vendor, link);
        CREATE INDEX IF NOT EXISTS products_created_at ON products (created_at DESC);
        CREATE INDEX IF NOT EXISTS products_vendor_release_year ON products (vendor, release_year);
        CREATE TABLE IF NOT EXISTS product_history (
            id bigserial PRIMARY KEY,
            product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
            changed text[] NOT NULL,
            price numeric(12, 2),
            availability text,
            changed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS product_history_product ON product_history (product_id, changed_at);
        """;

    // The "before" CTE reads the rows as they were when the statement started, so the history compares old and new.
    private const string Upsert = """
        WITH input AS (
            SELECT * FROM unnest(@vendor, @sku, @name, @price, @brand, @availability, @release_year, @link)
                AS t(vendor, sku, name, price, brand, availability, release_year, link)
        ), before AS (
            SELECT p.id, p.price, p.availability FROM products p JOIN input i ON i.vendor = p.vendor AND i.sku = p.sku
        ), written AS (
            INSERT INTO products AS p (vendor, sku, name, price, brand, availability, release_year, link, last_synced_at, created_at)
            SELECT vendor, sku, name, price, brand, availability, release_year, link, now(), now() FROM input
            ON CONFLICT (vendor, sku) DO UPDATE SET
                name = excluded.name, price = excluded.price, brand = excluded.brand, availability = excluded.availability,
                release_year = excluded.release_year, link = excluded.link, last_synced_at = excluded.last_synced_at
            RETURNING p.id, p.vendor, p.sku, p.price, p.availability
        ), changes AS (
            SELECT w.id, w.vendor, w.sku, w.price, w.availability, b.id IS NULL AS created,
                   array_remove(ARRAY[
                       CASE WHEN b.id IS NULL OR b.price IS DISTINCT FROM w.price THEN 'price' END,
                       CASE WHEN b.id IS NULL OR b.availability IS DISTINCT FROM w.availability THEN 'availability' END], NULL) AS changed
            FROM written w LEFT JOIN before b ON b.id = w.id
        ), logged AS (
            INSERT INTO product_history (product_id, changed, price, availability, changed_at)
            SELECT id, changed, price, availability, now() FROM changes WHERE cardinality(changed) > 0
        )
        SELECT vendor, sku, created, changed FROM changes
        """;

    private const string RecentlySynced = """
        SELECT link FROM products
        WHERE vendor = @vendor AND link = ANY(@links) AND last_synced_at > now() - make_interval(secs => @seconds)
        """;

    private readonly Channel<(ProductRecord Product, TaskCompletionSource<ProductWrite> Done)> _queue =
        Channel.CreateUnbounded<(ProductRecord, TaskCompletionSource<ProductWrite>)>(new UnboundedChannelOptions { SingleReader = true });

    private Task? _writer;
    private readonly Lock _start = new();

    /// <summary>The links of <paramref name="links"/> whose product was synced less than <paramref name="interval"/> ago.</summary>
    public async Task<HashSet<string>> RecentlySyncedAsync(string vendor, IReadOnlyList<string> links, TimeSpan interval,
        CancellationToken cancellationToken)
    {
        var recent = new HashSet<string>(StringComparer.Ordinal);
        if (links.Count == 0 || interval <= TimeSpan.Zero) return recent;
        await using var command = postgres.CreateCommand(RecentlySynced);
        command.Parameters.AddWithValue("vendor", vendor);
        command.Parameters.AddWithValue("links", links.ToArray());
        command.Parameters.AddWithValue("seconds", interval.TotalSeconds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) recent.Add(reader.GetString(0));
        return recent;
    }

    /// <summary>Upserts <paramref name="product"/> in the next batch and returns what it changed.</summary>
    public Task<ProductWrite> WriteAsync(ProductRecord product, CancellationToken cancellationToken)
    {
        lock (_start) _writer ??= Task.Run(WriteBatchesAsync);
        var done = new TaskCompletionSource<ProductWrite>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((product, done))) throw new ObjectDisposedException(nameof(ProductStore));
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteBatchesAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<(ProductRecord Product, TaskCompletionSource<ProductWrite> Done)>(batchSize);
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < batchSize && reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count < batchSize && linger > TimeSpan.Zero)
            {
                await Task.Delay(linger);
                while (batch.Count < batchSize && reader.TryRead(out var item)) batch.Add(item);
            }

            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<(ProductRecord Product, TaskCompletionSource<ProductWrite> Done)> items)
    {
        // One statement cannot update a row twice: a product seen twice goes into a later statement.
        var pending = items;
        while (pending.Count > 0)
        {
            var keys = new HashSet<(string, string)>();
            var now = pending.Where(i => keys.Add((i.Product.Vendor, i.Product.Sku))).ToList();
            pending = pending.Except(now).ToList();
            try
            {
                var results = await UpsertAsync(now.Select(i => i.Product).ToList());
                foreach (var (product, done) in now)
                {
                    if (results.TryGetValue((product.Vendor, product.Sku), out var write)) done.TrySetResult(write);
                    else done.TrySetException(new InvalidOperationException($"{product.Link}: the upsert of {product.Vendor}/{product.Sku} returned nothing"));
                }
            }
            catch (Exception) when (now.Count > 1)
            {
                // Find the culprit: one product per statement.
                foreach (var item in now) await WriteAsync([item]);
            }
            catch (Exception e)
            {
                now[0].Done.TrySetException(e);
            }
        }
    }

    private async Task<Dictionary<(string, string), ProductWrite>> UpsertAsync(IReadOnlyList<ProductRecord> products)
    {
        await using var command = postgres.CreateCommand(Upsert);
        command.Parameters.Add(new NpgsqlParameter<string[]>("vendor", products.Select(p => p.Vendor).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("sku", products.Select(p => p.Sku).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("name", products.Select(p => p.Name).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<decimal?[]>("price", products.Select(p => p.Price).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]>("brand", products.Select(p => p.Brand).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("availability", products.Select(p => p.Availability).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int?[]>("release_year", products.Select(p => p.ReleaseYear).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("link", products.Select(p => p.Link).ToArray()));
        var results = new Dictionary<(string, string), ProductWrite>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            results[(reader.GetString(0), reader.GetString(1))] = new ProductWrite(reader.GetBoolean(2), reader.GetFieldValue<string[]>(3));
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writer is not null) await _writer;
    }
}
