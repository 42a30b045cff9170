using Jobs.Contracts;
using Prometheus;

namespace Jobs.Plugins.Preaggregates;

/// <summary>Gauges set by every computation, on the <c>/metrics</c> of the process that ran it.</summary>
public static class PreaggregatesMetrics
{
    /// <summary>Seconds from the end of a source's complete data to the time it was computed (absent while nothing is complete).</summary>
    public static readonly Gauge Lag = Metrics.CreateGauge("preaggregates_lag_seconds",
        "Seconds between the end of a source's complete preaggregates and the last computation", "source");

    /// <summary>1 when the source was read by the last computation, 0 when it could not be (stale or down).</summary>
    public static readonly Gauge Up = Metrics.CreateGauge("preaggregates_source_up",
        "Whether the last computation could read the preaggregate source", "source");

    /// <summary>Seconds from the synchronized time of a view to the time it was computed.</summary>
    public static readonly Gauge SynchronizedLag = Metrics.CreateGauge("preaggregates_synchronized_lag_seconds",
        "Seconds between the synchronized complete-until time of a view and the last computation", "view");

    public static void Record(PreaggregatesMetadata metadata)
    {
        foreach (var source in metadata.Sources)
        {
            Set(Lag, source.LagSeconds, source.Name);
            Up.WithLabels(source.Name).Set(source.Status == PreaggregatesStatus.Ok ? 1 : 0);
        }

        Set(SynchronizedLag, metadata.Synchronized.LagSeconds, metadata.View);
    }

    private static void Set(Gauge gauge, double? value, string label)
    {
        if (value is { } seconds) gauge.WithLabels(label).Set(seconds);
        else gauge.RemoveLabelled(label);
    }
}
