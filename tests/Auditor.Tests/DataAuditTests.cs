using Jobs.JobTree;
using System.Globalization;
using System.Text.RegularExpressions;
using Jobs.Contracts;
using Jobs.TestSupport;
using Prometheus;

namespace Jobs.Auditor.Tests;

public sealed class DataAuditTests(AuditFixture audit) : IClassFixture<AuditFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A successful child of a new root job (the run of one day) that measured <paramref name="products"/> for a vendor.</summary>
    private static ChildJobsFinished Run(Guid root, int day, string platform, params (string Vendor, double Products)[] products)
    {
        var child = JobIds.Child(JobIds.Entry(root), 0);
        var outcome = new ChildJobOutcome(child, JobIds.Entry(root), root, 1, "sync", true, null, 0, null, 1, T0.AddDays(day), T0.AddDays(day).AddMinutes(1),
            products.Select(p => new DataMeasurement("products", p.Vendor, p.Products)).ToList());
        return new ChildJobsFinished(root, platform, [outcome]);
    }

    private Task<long> MeasurementsAsync(string vendor) =>
        audit.ScalarAsync<long>("SELECT count(*) FROM data_measurements WHERE subject = $1", vendor);

    private static async Task<double> FailuresCounterAsync()
    {
        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        var match = Regex.Match(text, $"^data_audit_failures_total\\{{platform=\"{AuditFixture.AuditedPlatform}\",dataset=\"products\"\\}} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task When_a_vendors_product_count_drops_by_more_than_the_allowed_share_Should_publish_DataAuditFailed_and_count_it()
    {
        var (vendor, other) = ($"v-{Guid.NewGuid():N}", $"w-{Guid.NewGuid():N}");
        var (first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var failuresBefore = await FailuresCounterAsync();

        await audit.Publish(Run(first, 0, AuditFixture.AuditedPlatform, (vendor, 1000), (other, 500)));
        await Eventually.Until(() => MeasurementsAsync(vendor), n => n == 1, TimeSpan.FromSeconds(30), "the first run's measurement");
        // 1000 -> 750 is a 25% drop (rule: 20%); 500 -> 450 is 10%.
        await audit.Publish(Run(second, 1, AuditFixture.AuditedPlatform, (vendor, 750), (other, 450)));
        await Eventually.Until(() => MeasurementsAsync(vendor), n => n == 2, TimeSpan.FromSeconds(30), "the second run's measurement");
        // 750 -> 700 is 6.7%: compared with the previous run, not the first.
        await audit.Publish(Run(third, 2, AuditFixture.AuditedPlatform, (vendor, 700), (other, 450)));
        await Eventually.Until(() => MeasurementsAsync(vendor), n => n == 3, TimeSpan.FromSeconds(30), "the third run's measurement");

        Assert.True(await audit.Harness.Published.Any<DataAuditFailed>(m => m.Context.Message.Subject == vendor));
        var failure = Assert.Single(audit.Harness.Published.Select<DataAuditFailed>(m => m.Context.Message.Subject == vendor || m.Context.Message.Subject == other))
            .Context.Message;
        Assert.Equal((second, first, AuditFixture.AuditedPlatform, "products"), (failure.RootJobId, failure.PreviousRootJobId, failure.Platform, failure.Dataset));
        Assert.Equal((1000.0, 750.0, 0.25, 0.2), (failure.PreviousValue, failure.Value, failure.DropShare, failure.MaxDropShare));
        Assert.Equal(1, await FailuresCounterAsync() - failuresBefore);

        var rows = await audit.RowsAsync(
            "SELECT value, previous_value, previous_root_job_id, audit_failed FROM data_measurements WHERE subject = $1 ORDER BY measured_at", vendor);
        Assert.Equal([1000.0, 750.0, 700.0], rows.Select(r => (double)r["value"]!));
        Assert.Equal([null, 1000.0, 750.0], rows.Select(r => (double?)r["previous_value"]));
        Assert.Equal([null, first, second], rows.Select(r => (Guid?)r["previous_root_job_id"]));
        Assert.Equal([false, true, false], rows.Select(r => (bool)r["audit_failed"]!));
    }

    [Fact]
    public async Task When_the_batch_that_failed_an_audit_is_redelivered_Should_not_report_the_failure_twice()
    {
        var vendor = $"v-{Guid.NewGuid():N}";
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await audit.Publish(Run(first, 0, AuditFixture.AuditedPlatform, (vendor, 100)));
        await Eventually.Until(() => MeasurementsAsync(vendor), n => n == 1, TimeSpan.FromSeconds(30), "the first run's measurement");
        var dropped = Run(second, 1, AuditFixture.AuditedPlatform, (vendor, 10));

        await audit.Publish(dropped, Guid.NewGuid());
        await Eventually.Until(() => MeasurementsAsync(vendor), n => n == 2, TimeSpan.FromSeconds(30), "the second run's measurement");
        // The same outcomes again under another message id (the Integrations process re-published the batch after a crash).
        var again = Guid.NewGuid();
        await audit.Publish(dropped, again);
        await Eventually.Until(() => audit.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM job_events WHERE message_id = $1)", again), seen => seen,
            TimeSpan.FromSeconds(30), "the repeated batch to be audited");

        Assert.Single(audit.Harness.Published.Select<DataAuditFailed>(m => m.Context.Message.Subject == vendor));
        Assert.Equal(2, await MeasurementsAsync(vendor));
    }

    [Fact]
    public async Task When_a_platform_has_no_audit_rule_Should_record_its_measurements_without_judging_them()
    {
        var vendor = $"v-{Guid.NewGuid():N}";
        await audit.Publish(Run(Guid.NewGuid(), 0, "unaudited", (vendor, 1000)));
        await audit.Publish(Run(Guid.NewGuid(), 1, "unaudited", (vendor, 1)));
        await Eventually.Until(() => MeasurementsAsync(vendor), n => n == 2, TimeSpan.FromSeconds(30), "both measurements");

        Assert.False(await audit.Harness.Published.Any<DataAuditFailed>(m => m.Context.Message.Subject == vendor));
        Assert.Equal(0L, await audit.ScalarAsync<long>("SELECT count(*) FROM data_measurements WHERE subject = $1 AND audit_failed", vendor));
    }
}
