using Prometheus;

namespace Jobs.Plugins.Http;

/// <summary>Per-host metrics of the polite HTTP client, labelled by integration and host.</summary>
public static class HttpMetrics
{
    private static readonly double[] Buckets = Histogram.ExponentialBuckets(0.001, 2, 16);

    public static readonly Histogram Latency = Metrics.CreateHistogram("integration_http_request_duration_seconds",
        "Time of one HTTP attempt until its body was read", new HistogramConfiguration
        {
            LabelNames = ["integration", "host"],
            Buckets = Buckets,
        });

    public static readonly Histogram TimeToFirstByte = Metrics.CreateHistogram("integration_http_time_to_first_byte_seconds",
        "Time of one HTTP attempt until the response headers arrived", new HistogramConfiguration
        {
            LabelNames = ["integration", "host"],
            Buckets = Buckets,
        });

    public static readonly Histogram RateLimitWait = Metrics.CreateHistogram("integration_http_rate_limit_wait_seconds",
        "Time a request waited for its host's shared rate limit", new HistogramConfiguration
        {
            LabelNames = ["integration", "host"],
            Buckets = Buckets,
        });

    public static readonly Counter Pages = Metrics.CreateCounter("integration_http_pages_total",
        "Responses received, by status code", "integration", "host", "status");

    public static readonly Counter Errors = Metrics.CreateCounter("integration_http_errors_total",
        "Failed attempts: status (429, 5xx, other 4xx), timeout, network, robots", "integration", "host", "reason");

    public static readonly Counter Retries = Metrics.CreateCounter("integration_http_retries_total",
        "Attempts repeated after a 429, 5xx, timeout or network error", "integration", "host");
}
