using System.ComponentModel.DataAnnotations;

namespace Jobs.Plugins.Catalogue;

/// <summary>Configuration section <c>Catalogue</c> of the Integrations service.</summary>
public sealed class CatalogueOptions
{
    public const string Section = "Catalogue";

    /// <summary>Prefix of the integration's Redis keys (the year-link cache).</summary>
    [Required(ErrorMessage = "Catalogue:RedisPrefix must not be empty")]
    public string RedisPrefix { get; set; } = "catalogue:";

    /// <summary>A folder of extra vendor definitions (<c>*.json</c>, the shape of the shipped ones); a name there replaces a shipped vendor.</summary>
    public string? VendorDirectory { get; set; }

    /// <summary>Products upserted per statement at most (product runs of the process share the batches).</summary>
    [Range(1, 10_000, ErrorMessage = "Catalogue:WriteBatchSize must be between {1} and {2}")]
    public int WriteBatchSize { get; set; } = 200;

    /// <summary>How long a batch waits for more products before it is written.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Catalogue:WriteLinger must be between {1} and {2}")]
    public TimeSpan WriteLinger { get; set; } = TimeSpan.FromMilliseconds(5);
}
