namespace Jobs.Integrations.Catalogue;

/// <summary>Configuration section <c>Catalogue</c> of the Integrations service.</summary>
public sealed class CatalogueOptions
{
    /// <summary>Prefix of the integration's Redis keys (the year-link cache).</summary>
    public string RedisPrefix { get; set; } = "catalogue:";

    /// <summary>A folder of extra vendor definitions (<c>*.json</c>, the shape of the shipped ones); a name there replaces a shipped vendor.</summary>
    public string? VendorDirectory { get; set; }

    /// <summary>Products upserted per statement at most (product runs of the process share the batches).</summary>
    public int WriteBatchSize { get; set; } = 200;

    /// <summary>How long a batch waits for more products before it is written.</summary>
    public TimeSpan WriteLinger { get; set; } = TimeSpan.FromMilliseconds(5);
}
