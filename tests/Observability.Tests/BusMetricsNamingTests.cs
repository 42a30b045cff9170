using Jobs.ServiceDefaults;

namespace Jobs.Observability.Tests;

public sealed class BusMetricsNamingTests
{
    [Theory]
    [InlineData("messaging.masstransit.consume", false, false, "masstransit_consume_total")]
    [InlineData("messaging.masstransit.consume.errors", false, false, "masstransit_consume_faults_total")]
    [InlineData("messaging.masstransit.consume.active", false, true, "masstransit_consume_in_progress")]
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
