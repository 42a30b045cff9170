using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Jobs.Plugins.Storage;

namespace Jobs.Plugins.Catalogue;

/// <summary>Settings of a <c>catalogue</c> job.</summary>
public sealed class CatalogueSettings
{
    public const string Sync = "sync";
    public const string SyncLinks = "sync-links";

    [Description("sync: crawl year lists and product pages, with year links from the weekly cache; sync-links: only fetch and cache the year links")]
    [AllowedValues(Sync, SyncLinks)]
    public string Mode { get; set; } = Sync;

    [Description("Vendors to crawl, by name (as configured in the Integrations service); empty: every configured vendor")]
    public List<string> Vendors { get; set; } = [];

    [Description("Crawl this origin (scheme, host, port) instead of the vendor's own, such as a mirror or a test shop; with exactly one vendor")]
    public string? BaseUrl { get; set; }

    [Description("A shop not configured in the service: a vendor definition (name, start_url, year_links, product_links, next_page, view_all, fields, availability_rules), crawled instead of vendors")]
    [Jobs.Platforms.RegularExpressions("year_pattern", "fields.*.pattern", "availability_rules[].pattern")]
    public JsonElement? VendorDefinition { get; set; }

    [Description("Products synced within this many hours are not fetched again")]
    [Range(0.0, 8760.0)]
    public double SyncIntervalHours { get; set; } = 24;

    [Description("Days a vendor's year links stay cached (0: not cached)")]
    [Range(0.0, 365.0)]
    public double LinkCacheDays { get; set; } = 7;

    [Description("Where each synced product also goes: {\"target\": a name in Storage:Targets} or {\"type\": postgres|mysql|csv|jsonl, \"settings\": {...}}, table catalogue_products unless named; products and product_history stay the catalogue's state either way")]
    public StorageSettings? Storage { get; set; }
}

/// <summary>What a catalogue child is given: its vendor, the job's rules, and its page.</summary>
public sealed record CatalogueStep
{
    public string Vendor { get; init; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BaseUrl { get; init; }

    /// <summary>Only for a vendor given in the job's settings; configured vendors are looked up by name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public VendorDefinition? Definition { get; init; }

    public string Mode { get; init; } = CatalogueSettings.Sync;

    public double SyncIntervalHours { get; init; }

    public double LinkCacheDays { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Url { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Year { get; init; }

    /// <summary>The job's storage target, which each product run upserts its product into (besides <c>products</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StorageSettings? Storage { get; init; }
}
