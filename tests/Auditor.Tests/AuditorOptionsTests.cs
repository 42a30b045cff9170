using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Auditor.Tests;

/// <summary>The <c>Auditor</c> section as the service binds it (the same keys the tests and infra/services.sh set as <c>Auditor__...</c>).</summary>
public sealed class AuditorOptionsTests
{
    private static AuditorOptions Bind(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddAuditorOptions();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AuditorOptions>>().Value;
    }

    [Fact]
    public void Without_settings_Should_sweep_every_30_seconds_for_roots_stalled_an_hour_and_audit_no_data()
    {
        var options = Bind([]);

        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromSeconds(30)), (options.ChildTimeout, options.SweepInterval));
        Assert.Empty(options.DataAudits);
    }

    [Fact]
    public void With_the_keys_the_tests_set_Should_bind_the_deadline_the_interval_and_the_rules()
    {
        var options = Bind(new()
        {
            ["Auditor:ChildTimeout"] = "00:00:40",
            ["Auditor:SweepInterval"] = "00:00:01",
            ["Auditor:DataAudits:0:Platform"] = "catalogue",
            ["Auditor:DataAudits:0:Dataset"] = "products",
            ["Auditor:DataAudits:0:MaxDropShare"] = "0.2",
            ["Auditor:DataAudits:1:Platform"] = "reddit",
        });

        Assert.Equal((TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(1)), (options.ChildTimeout, options.SweepInterval));
        Assert.Equal([("catalogue", "products", 0.2), ("reddit", "*", 0.5)], options.DataAudits.Select(r => (r.Platform, r.Dataset, r.MaxDropShare)));
    }

    [Theory]
    [InlineData("Auditor:ChildTimeout", "00:00:00")]
    [InlineData("Auditor:SweepInterval", "-00:00:01")]
    [InlineData("Auditor:WriteWindow", "00:00:06")]
    [InlineData("Auditor:WriteBatchSize", "0")]
    [InlineData("Auditor:DataAudits:0:MaxDropShare", "1.5")]
    [InlineData("Auditor:DataAudits:0:Platform", "")]
    public void With_an_invalid_value_Should_refuse_to_start_and_name_the_setting(string key, string value)
    {
        var settings = new Dictionary<string, string?> { ["Auditor:DataAudits:0:Platform"] = "catalogue", [key] = value };

        var error = Assert.Throws<OptionsValidationException>(() => Bind(settings));

        Assert.Contains(key.Split(':')[^1], error.Message, StringComparison.Ordinal);
    }
}
