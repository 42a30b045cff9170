using System.Text.Json;

namespace Jobs.Observability.Tests;

/// <summary>
/// Every PromQL expression of every dashboard panel and every alert rule, evaluated by the test's Prometheus after one job
/// of every platform: each parses, and each panel query returns at least one series (one that returns nothing is broken).
/// </summary>
[Collection(ObservabilityCollection.Name)]
public sealed class LiveMetricsTests(ObservabilityFixture fixture)
{
    private PrometheusServer Prometheus => fixture.Prometheus;

    [Fact]
    public void One_job_of_every_platform_ran_to_an_end_that_is_not_a_failure()
    {
        var ended = fixture.Jobs.Select(j => $"{j.Platform}: {j.Status} ({j.Completed} completed, {j.Failed} failed)").ToList();

        Assert.Equal(["catalogue", "movies", "preaggregates", "reddit", "synthetic"], fixture.Jobs.Select(j => j.Platform).Distinct().Order(StringComparer.Ordinal).ToArray());
        Assert.All(fixture.Jobs, j => Assert.True(j.Status is "Completed" or "CompletedWithFailures", string.Join('\n', ended)));
        // The broken product page fails its child (the catalogue's page failures have a series); synthetic has failing children by design.
        Assert.Contains(fixture.Jobs, j => j is { Platform: "catalogue", Status: "CompletedWithFailures" });
    }

    [Fact]
    public async Task Prometheus_scrapes_the_five_services_and_rabbitmq_per_object_metrics()
    {
        var targets = await Prometheus.TargetsAsync();

        Assert.Equal(5, targets.Count(t => t.Job == "jobs-services"));
        Assert.Single(targets, t => t.Job == "rabbitmq");
        Assert.All(targets, t => Assert.True(t.Health == "up", $"{t.Job} {t.Instance}: {t.Health} {t.Error}"));
        Assert.NotNull(await Prometheus.ValueAsync($"sum(rabbitmq_queue_consumers{{vhost=\"{fixture.VirtualHost}\", queue=\"integration-synthetic\"}})"));
    }

    [Fact]
    public async Task Every_dashboard_panel_query_parses_and_returns_series_after_one_job_of_every_platform()
    {
        var broken = new List<string>();
        var count = 0;
        foreach (var dashboard in Dashboard.All())
        {
            var values = await VariableValuesAsync(dashboard);
            foreach (var query in dashboard.Queries())
            {
                count++;
                var promql = Dashboard.Substitute(query.Expr, values);
                var result = await Prometheus.QueryAsync(promql);
                if (!result.Parsed) broken.Add($"{query}: does not parse: {result.Error}\n    {promql}");
                else if (result.Series.Count == 0) broken.Add($"{query}: returns no series\n    {promql}");
            }
        }

        Assert.True(count > 60, $"only {count} panel queries found");
        Assert.True(broken.Count == 0, $"{broken.Count} of {count} panel queries are broken:\n" + string.Join('\n', broken));
    }

    [Fact]
    public async Task Every_alert_rule_is_loaded_healthy_and_its_expression_parses()
    {
        var expected = File.ReadAllLines(PrometheusServer.AlertRulesFile).Count(l => l.TrimStart().StartsWith("- alert:", StringComparison.Ordinal));
        // Rules are evaluated every second: each has been evaluated by now.
        var rules = await Prometheus.RulesAsync();

        Assert.Equal(expected, rules.Count);
        Assert.All(rules, r => Assert.True(r.Health == "ok", $"{r.Name}: {r.Health} {r.Error}"));
        foreach (var rule in rules)
        {
            var result = await Prometheus.QueryAsync(rule.Query);
            Assert.True(result.Parsed, $"{rule.Name}: {result.Error}\n    {rule.Query}");
        }
    }

    [Fact]
    public async Task The_error_queue_alert_expression_finds_the_faulted_start_request_of_the_systems_virtual_host()
    {
        var rule = (await Prometheus.RulesAsync()).Single(r => r.Name == "ErrorQueueNotEmpty");

        var result = await Prometheus.QueryAsync(rule.Query);

        Assert.Contains(result.Series, s => Label(s, "vhost") == fixture.VirtualHost && Label(s, "queue") == "jobs.start_error");
    }

    [Fact]
    public async Task The_integrator_counts_every_root_started_and_ended_with_its_status_and_every_child_once()
    {
        foreach (var platform in fixture.Jobs.Select(j => j.Platform).Distinct())
        {
            var jobs = fixture.Jobs.Where(j => j.Platform == platform).ToList();
            Assert.Equal(jobs.Count, await Prometheus.ValueAsync($"sum(integrator_root_jobs_started_total{{platform=\"{platform}\"}})"));
            foreach (var status in jobs.Select(j => j.Status).Distinct())
                Assert.Equal(jobs.Count(j => j.Status == status),
                    await Prometheus.ValueAsync($"sum(integrator_root_jobs_ended_total{{platform=\"{platform}\", status=\"{status}\"}})"));
            Assert.Equal(jobs.Sum(j => j.Completed), await Prometheus.ValueAsync($"sum(integrator_child_jobs_counted_total{{platform=\"{platform}\", outcome=\"succeeded\"}})"));
            Assert.Equal(jobs.Sum(j => j.Failed), await Prometheus.ValueAsync($"sum(integrator_child_jobs_counted_total{{platform=\"{platform}\", outcome=\"failed\"}})"));
            Assert.Equal(jobs.Count, await Prometheus.ValueAsync($"sum(integrator_root_job_duration_seconds_count{{platform=\"{platform}\"}})"));
        }

        Assert.Contains(fixture.Jobs, j => j is { Platform: "synthetic", Failed: > 0 });
    }

    [Fact]
    public async Task Every_service_publishes_masstransit_metrics_under_prometheus_names_and_not_the_meter_adapters_gauges()
    {
        var consumed = await Prometheus.QueryAsync("sum by (service) (masstransit_receive_total)");
        var sent = await Prometheus.QueryAsync("sum by (service) (masstransit_send_total)");
        var adapter = await Prometheus.QueryAsync("{__name__=~\"masstransit_messaging_.+\"}");
        var faults = await Prometheus.QueryAsync("sum by (endpoint, exception_type) (masstransit_consume_faults_total{service=\"integrator\"})");

        // Reporting consumes nothing; it sends (BeginRootJob), as every other service does.
        Assert.Equal(["auditor", "integrations", "integrator", "scheduler"],
            consumed.Series.Select(s => Label(s, "service") ?? "").Order(StringComparer.Ordinal).ToArray());
        Assert.Contains(sent.Series, s => Label(s, "service") == "reporting");
        Assert.Empty(adapter.Series);
        Assert.Contains(faults.Series, s => Label(s, "endpoint") == "jobs_start" && Label(s, "exception_type") == "InvalidJobRequestException");
    }

    /// <summary>A value for each variable: the first value Prometheus knows for a query variable (its "All" pattern when it has one), constants as they are.</summary>
    private async Task<Dictionary<string, string>> VariableValuesAsync(Dashboard dashboard)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in dashboard.Variables())
        {
            if (variable.Type != "query")
            {
                values[variable.Name] = variable.Constant ?? "";
                continue;
            }

            var (selector, label) = Dashboard.LabelValuesOf(Dashboard.Substitute(variable.Query!, values));
            if (label == "vhost")
            {
                // The broker is shared: the virtual host is the one of this system.
                values[variable.Name] = fixture.VirtualHost;
                continue;
            }

            var known = await Prometheus.LabelValuesAsync(label, selector);
            Assert.True(known.Count > 0, $"{dashboard.File}: variable {variable.Name} ({variable.Query}) has no values");
            values[variable.Name] = variable.IncludeAll && variable.AllValue is { } all ? all : known[0];
        }

        return values;
    }

    private static string? Label(JsonElement series, string name) =>
        series.GetProperty("metric").TryGetProperty(name, out var value) ? value.GetString() : null;
}
