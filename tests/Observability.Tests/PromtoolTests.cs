using Jobs.TestSupport;

namespace Jobs.Observability.Tests;

/// <summary>promtool on the shipped Prometheus configuration, the alert rules and their unit tests.</summary>
public sealed class PromtoolTests
{
    private static readonly string Directory = Path.Combine(ServiceSystem.RepositoryRoot(), "infra", "prometheus");

    [Fact]
    public async Task The_shipped_prometheus_configuration_and_its_rules_pass_promtool_check_config()
    {
        var (exitCode, output) = await PrometheusServer.PromtoolAsync(Directory, "check", "config", "prometheus.yml");

        Assert.True(exitCode == 0, output);
        Assert.Contains("1 rule files found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_alert_rules_pass_promtool_check_rules()
    {
        var (exitCode, output) = await PrometheusServer.PromtoolAsync(Directory, "check", "rules", "alerts.yml");

        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS: 6 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_alert_rules_unit_tests_pass_promtool_test_rules()
    {
        var (exitCode, output) = await PrometheusServer.PromtoolAsync(Directory, "test", "rules", "alerts.test.yml");

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Promtool_test_rules_fails_when_an_alert_does_not_fire_as_its_test_expects()
    {
        // The same rules with the error-queue alert made blind: its unit test must catch that.
        var directory = System.IO.Directory.CreateTempSubdirectory("obs-rules-").FullName;
        try
        {
            var rules = await File.ReadAllTextAsync(Path.Combine(Directory, "alerts.yml"));
            var blind = rules.Replace("(rabbitmq_queue_messages{queue=~\".+_error\"}) > 0", "(rabbitmq_queue_messages{queue=~\".+_error\"}) > 100", StringComparison.Ordinal);
            Assert.NotEqual(rules, blind);
            await File.WriteAllTextAsync(Path.Combine(directory, "alerts.yml"), blind);
            File.Copy(Path.Combine(Directory, "alerts.test.yml"), Path.Combine(directory, "alerts.test.yml"));

            var (exitCode, output) = await PrometheusServer.PromtoolAsync(directory, "test", "rules", "alerts.test.yml");

            Assert.NotEqual(0, exitCode);
            Assert.Contains("ErrorQueueNotEmpty", output, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }
}
