using Prometheus;

namespace Jobs.Auditor.Audit;

public static class AuditMetrics
{
    private static readonly double[] Buckets = Histogram.ExponentialBuckets(0.05, 2, 18);

    public static readonly Histogram RootJobSeconds = Metrics.CreateHistogram("job_completion_seconds",
        "Time from a root job's start to its end", new HistogramConfiguration { LabelNames = ["platform", "status"], Buckets = Buckets });

    public static readonly Histogram GenerationSeconds = Metrics.CreateHistogram("job_generation_completion_seconds",
        "Time from a root job's start until every child of one generation had finished",
        new HistogramConfiguration { LabelNames = ["platform", "generation"], Buckets = Buckets });

    public static readonly Counter Repaired = Metrics.CreateCounter("job_roots_repaired_total",
        "Root jobs with nothing in flight that had not ended, ended by the sweeper from their recorded outcomes", "platform");

    public static readonly Counter TimedOut = Metrics.CreateCounter("job_children_timed_out_total",
        "Children reported timed out by the sweeper", "platform");

    /// <summary>The sweeper's counters of a platform exist (at 0) from its first audited root on, so an increase() sees its first repair.</summary>
    public static void Track(string platform)
    {
        Repaired.WithLabels(platform);
        TimedOut.WithLabels(platform);
    }
}
