using Jobs.ServiceDefaults;

namespace Jobs.Observability.Tests;

public sealed class BusMetricsNamingTests
{
    [Theory]
    [InlineData("messaging.masstransit.consume", false, false, "masstransit_consume_total")]
    [InlineData("messaging.masstransit.consume.errors", false, false, "masstransit_consume_faults_total")]
    [InlineData("messaging.masstransit.consume.active", false, false, "masstransit_consume_in_progress")]
    [InlineData("messaging.masstransit.receive.active", false, true, "masstransit_receive_in_progress")]
    [InlineData("messaging.masstransit.consume.duration", true, false, "masstransit_consume_duration_seconds")]
    [InlineData("messaging.masstransit.delivery.duration", true, false, "masstransit_delivery_duration_seconds")]
    [InlineData("messaging.masstransit.receive", false, false, "masstransit_receive_total")]
    [InlineData("messaging.masstransit.outbox.send.errors", false, false, "masstransit_outbox_send_faults_total")]
    [InlineData("messaging.masstransit.send", false, false, "masstransit_send_total")]
    public void MassTransit_instruments_get_prometheus_names_with_units_and_total(string instrument, bool histogram, bool upDown, string expected) =>
        Assert.Equal(expected, BusMetrics.PrometheusName(instrument, histogram, upDown));

    [Theory]
    [InlineData("http.server.request.duration", true, false)]
    [InlineData("messaging.masstransit.message.body.size", true, false)]
    public void Instruments_of_other_meters_and_histograms_that_are_not_durations_are_not_published(string instrument, bool histogram, bool upDown) =>
        Assert.Null(BusMetrics.PrometheusName(instrument, histogram, upDown));
}

/// <summary>The bridge in this process, fed by a meter named like MassTransit's, read back through prometheus-net's exposition.</summary>
public sealed class BusMetricsBridgeTests
{
    [Fact]
    public async Task An_active_counter_decremented_by_masstransit_is_a_gauge_and_never_throws_into_the_pipeline()
    {
        BusMetrics.Start();
        using var meter = new System.Diagnostics.Metrics.Meter(MassTransit.Monitoring.InstrumentationOptions.MeterName, "test");
        var active = meter.CreateCounter<long>("messaging.masstransit.bridgetest.active");
        var consumed = meter.CreateCounter<long>("messaging.masstransit.bridgetest");
        var duration = meter.CreateHistogram<double>("messaging.masstransit.bridgetest.duration", "ms");
        var tags = new KeyValuePair<string, object?>[]
        {
            new("messaging.masstransit.destination", "bridge-queue"), new("messaging.masstransit.message_id", Guid.NewGuid().ToString()),
        };

        active.Add(1, tags);
        active.Add(1, tags);
        active.Add(-1, tags);
        consumed.Add(3, tags);
        consumed.Add(-1, tags); // a counter cannot go down: dropped, not thrown
        duration.Record(250, tags);

        var text = await ExpositionAsync();
        Assert.Contains("masstransit_bridgetest_in_progress{endpoint=\"bridge-queue\",consumer_type=\"\",message_type=\"\",activity_type=\"\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("masstransit_bridgetest_total{endpoint=\"bridge-queue\",consumer_type=\"\",message_type=\"\",activity_type=\"\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("masstransit_bridgetest_duration_seconds_sum{endpoint=\"bridge-queue\",consumer_type=\"\",message_type=\"\",activity_type=\"\"} 0.25", text, StringComparison.Ordinal);
        Assert.DoesNotContain("message_id", text, StringComparison.Ordinal);
    }

    private static async Task<string> ExpositionAsync()
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
