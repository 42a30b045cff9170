using Prometheus;

namespace Jobs.Plugins.Catalogue;

/// <summary>Catalogue metrics per vendor (the HTTP ones per host are in <see cref="Jobs.Plugins.Http.HttpMetrics"/>).</summary>
internal static class CatalogueMetrics
{
    public static readonly Counter Synced = Metrics.CreateCounter("catalogue_products_synced_total",
        "Product pages read and upserted", "vendor");

    public static readonly Counter Changed = Metrics.CreateCounter("catalogue_products_changed_total",
        "Products created, or whose price or availability changed", "vendor", "change");

    public static readonly Counter Skipped = Metrics.CreateCounter("catalogue_products_skipped_total",
        "Product links not fetched: synced within the interval (recent) or disallowed by robots.txt (robots)", "vendor", "reason");

    public static readonly Counter PageFailures = Metrics.CreateCounter("catalogue_page_failures_total",
        "Pages that could not be fetched or parsed, by kind of page", "vendor", "page");
}
