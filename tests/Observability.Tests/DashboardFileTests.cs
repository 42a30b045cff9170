using System.Text.Json;

namespace Jobs.Observability.Tests;

/// <summary>The provisioned dashboards and the Prometheus files as files: well formed, before anything runs.</summary>
public sealed class DashboardFileTests
{
    public static readonly string[] Required = ["jobs-overview.json", "bus.json", "integrations-http.json", "catalogue.json", "movies.json", "reddit.json"];

    [Fact]
    public void Every_required_dashboard_is_provisioned_with_a_unique_uid()
    {
        var dashboards = Dashboard.All();

        Assert.All(Required, file => Assert.Contains(dashboards, d => d.File == file));
        Assert.Equal(dashboards.Count, dashboards.Select(d => d.Json.GetProperty("uid").GetString()).Distinct().Count());
    }

    [Fact]
    public void Every_dashboard_panel_has_the_prometheus_datasource_targets_with_queries_and_a_unique_id()
    {
        var problems = Dashboard.All().SelectMany(d => d.Problems()).ToList();

        Assert.True(problems.Count == 0, "dashboard problems:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void The_structure_check_finds_a_duplicate_panel_id_a_missing_datasource_and_an_undefined_variable()
    {
        var broken = JsonDocument.Parse("""
            {"uid": "x", "title": "x", "templating": {"list": []}, "panels": [
              {"id": 1, "type": "timeseries", "title": "a", "gridPos": {"x": 0, "y": 0, "w": 8, "h": 8},
               "datasource": {"type": "prometheus", "uid": "prometheus"}, "targets": [{"refId": "A", "expr": "up{job=~\"$nope\"}"}]},
              {"id": 1, "type": "timeseries", "title": "b", "gridPos": {"x": 8, "y": 0, "w": 8, "h": 8}, "targets": [{"refId": "A", "expr": "up"}]}
            ]}
            """).RootElement;

        var problems = Dashboard.FromJson("broken.json", broken).Problems().ToList();

        Assert.Contains(problems, p => p.Contains("panel id 1 used 2 times", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'b': datasource is not the provisioned Prometheus", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("uses $nope", StringComparison.Ordinal));
    }

    [Fact]
    public void The_grafana_provisioning_points_at_the_dashboards_directory_and_the_prometheus_datasource_uid()
    {
        var root = Jobs.TestSupport.ServiceSystem.RepositoryRoot();
        var datasources = File.ReadAllText(Path.Combine(root, "infra", "grafana", "provisioning", "datasources", "prometheus.yml"));
        var dashboards = File.ReadAllText(Path.Combine(root, "infra", "grafana", "provisioning", "dashboards", "dashboards.yml"));
        var compose = File.ReadAllText(Path.Combine(root, "docker-compose.yml"));

        Assert.Contains($"uid: {Dashboard.DatasourceUid}", datasources, StringComparison.Ordinal);
        Assert.Contains("path: /etc/grafana/dashboards", dashboards, StringComparison.Ordinal);
        Assert.Contains("./infra/grafana/dashboards:/etc/grafana/dashboards", compose, StringComparison.Ordinal);
        Assert.Contains("rabbitmq-plugins enable --offline rabbitmq_prometheus", compose, StringComparison.Ordinal);
    }
}
