using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MassTransit.Monitoring;
using Prometheus;

namespace Jobs.ServiceDefaults;

/// <summary>
/// MassTransit's own meter (<c>MassTransit</c>) on <c>/metrics</c> under Prometheus names: each instrument
/// <c>messaging.masstransit.X</c> becomes <c>masstransit_X_total</c> (counters; <c>X.errors</c> becomes
/// <c>masstransit_X_faults_total</c>), <c>masstransit_X_in_progress</c> (the <c>.active</c> counters, which MassTransit
/// decrements when a message is done) or
/// <c>masstransit_X_duration_seconds</c> (the millisecond histograms, in seconds), e.g. <c>masstransit_consume_total</c>,
/// <c>masstransit_consume_faults_total</c>, <c>masstransit_consume_in_progress</c>, <c>masstransit_consume_duration_seconds</c>,
/// <c>masstransit_delivery_duration_seconds</c>, <c>masstransit_receive_total</c>, <c>masstransit_send_total</c>.
/// </summary>
/// <remarks>
/// Labels are a fixed, bounded set: <c>endpoint</c> (the queue or exchange), <c>consumer_type</c>, <c>message_type</c>,
/// <c>activity_type</c> and, on the <c>_faults_total</c> counters only, <c>exception_type</c>; a tag an instrument does not
/// carry is an empty (absent) label. Message and correlation ids and the service name (the scrape target says which service)
/// are dropped. prometheus-net's default meter adapter, which would publish the same instruments a second time as gauges in
/// milliseconds, is told to leave the <c>MassTransit</c> meter alone.
/// </remarks>
public static class BusMetrics
{
    public const string Prefix = "masstransit_";

    private const string InstrumentPrefix = "messaging.masstransit.";

    private static readonly (string Tag, string Label)[] LabelTags =
    [
        ("messaging.masstransit.destination", "endpoint"),
        ("messaging.masstransit.consumer_type", "consumer_type"),
        ("messaging.masstransit.message_type", "message_type"),
        ("messaging.masstransit.activity_type", "activity_type"),
    ];

    private const string ExceptionTag = "messaging.masstransit.exception_type";

    private static readonly double[] SecondsBuckets = Histogram.ExponentialBuckets(0.001, 2, 18);

    private static readonly ConcurrentDictionary<Instrument, Action<double, ReadOnlySpan<KeyValuePair<string, object?>>>> Recorders = new();

    private static readonly Lock Gate = new();

    private static MeterListener? _listener;

    /// <summary>Starts the bridge once per process (every host of the process shares prometheus-net's default registry).</summary>
    public static void Start()
    {
        lock (Gate)
        {
            if (_listener is not null) return;
            Metrics.ConfigureMeterAdapter(options =>
            {
                var previous = options.InstrumentFilterPredicate;
                options.InstrumentFilterPredicate = instrument => instrument.Meter.Name != InstrumentationOptions.MeterName && previous(instrument);
            });
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name != InstrumentationOptions.MeterName || Recorder(instrument) is not { } recorder) return;
                    Recorders[instrument] = recorder;
                    l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
            listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            listener.Start();
            _listener = listener;
        }
    }

    /// <summary>The Prometheus name an instrument of MassTransit's meter is published under (null: not published).</summary>
    public static string? PrometheusName(string instrumentName, bool isHistogram, bool isUpDownCounter)
    {
        if (!instrumentName.StartsWith(InstrumentPrefix, StringComparison.Ordinal)) return null;
        var name = Prefix + instrumentName[InstrumentPrefix.Length..].Replace('.', '_');
        if (isHistogram) return name.EndsWith("_duration", StringComparison.Ordinal) ? name + "_seconds" : null;
        // MassTransit's ".active" instruments are counters it adds -1 to when a message is done: gauges, whatever their type.
        if (name.EndsWith("_active", StringComparison.Ordinal)) return name[..^"_active".Length] + "_in_progress";
        if (isUpDownCounter) return name;
        return name.EndsWith("_errors", StringComparison.Ordinal) ? name[..^"_errors".Length] + "_faults_total" : name + "_total";
    }

    /// <summary>Runs inside MassTransit's pipeline (an exception here would fault the message): it never throws.</summary>
    private static void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct
    {
        if (!Recorders.TryGetValue(instrument, out var recorder)) return;
        try
        {
            recorder(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), tags);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            RecordingErrors.Inc();
        }
    }

    private static readonly Counter RecordingErrors = Metrics.CreateCounter(Prefix + "metrics_recording_errors_total",
        "Measurements of MassTransit's meter that could not be recorded (they are dropped; the message is not affected)");

    private static Action<double, ReadOnlySpan<KeyValuePair<string, object?>>>? Recorder(Instrument instrument)
    {
        var histogram = instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>);
        var upDown = instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(UpDownCounter<>);
        if (PrometheusName(instrument.Name, histogram, upDown) is not { } name) return null;
        var gaugeLike = upDown || name.EndsWith("_in_progress", StringComparison.Ordinal);
        var faults = name.EndsWith("_faults_total", StringComparison.Ordinal);
        var labels = LabelTags.Select(t => t.Label).Concat(faults ? ["exception_type"] : []).ToArray();
        var help = instrument.Description ?? instrument.Name;
        if (histogram)
        {
            // MassTransit records milliseconds.
            var scale = instrument.Unit == "ms" ? 0.001 : 1.0;
            var metric = Metrics.CreateHistogram(name, help, new HistogramConfiguration { LabelNames = labels, Buckets = SecondsBuckets });
            return (value, tags) => metric.WithLabels(Labels(tags, faults)).Observe(value * scale);
        }

        if (gaugeLike)
        {
            var gauge = Metrics.CreateGauge(name, help, labels);
            return (value, tags) => gauge.WithLabels(Labels(tags, faults)).Inc(value);
        }

        var counter = Metrics.CreateCounter(name, help, labels);
        // A consumer's retry counter exists (at 0) from its first consume on, so a dashboard and rate() see its first retry.
        var retries = name == Prefix + "consume_total" ? Metrics.CreateCounter(Prefix + "consume_retries_total", "Number of message consume retries", labels) : null;
        return (value, tags) =>
        {
            if (value <= 0) return;
            var values = Labels(tags, faults);
            counter.WithLabels(values).Inc(value);
            retries?.WithLabels(values);
        };
    }

    private static string[] Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags, bool withException)
    {
        var values = new string[LabelTags.Length + (withException ? 1 : 0)];
        Array.Fill(values, "");
        foreach (var tag in tags)
        {
            for (var i = 0; i < LabelTags.Length; i++)
            {
                if (tag.Key == LabelTags[i].Tag) values[i] = tag.Value?.ToString() ?? "";
            }

            if (withException && tag.Key == ExceptionTag) values[^1] = tag.Value?.ToString() ?? "";
        }

        return values;
    }
}
