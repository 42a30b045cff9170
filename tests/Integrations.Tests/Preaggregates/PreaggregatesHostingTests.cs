using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Preaggregates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests.Preaggregates;

public sealed class PreaggregatesHostingTests
{
    [Fact]
    public async Task When_the_integrations_service_is_composed_Should_host_preaggregates_with_sources_bound_from_configuration()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Preaggregates:DownPolicy"] = "exclude",
            ["Preaggregates:Sources:warehouse:ConnectionString"] = "Host=db;Password=p",
            ["Preaggregates:Sources:warehouse:TimeZone"] = "Europe/Berlin",
            ["Preaggregates:Sources:warehouse:BatchTables:0:Table"] = "agg.hourly",
            ["Preaggregates:Sources:warehouse:DailyTables:0:Table"] = "agg.daily",
            ["Preaggregates:Sources:warehouse:DailyTables:0:Column"] = "report_date",
        });
        builder.AddIntegrationsServices();
        await using var app = builder.Build();

        var hosted = app.Services.GetRequiredService<IntegrationRegistry>().Find("preaggregates");
        var options = app.Services.GetRequiredService<IOptions<PreaggregatesOptions>>().Value;

        Assert.IsType<PreaggregatesIntegration>(hosted);
        Assert.Equal(DownSourcePolicy.Exclude, options.DownPolicy);
        var source = options.Sources["warehouse"];
        Assert.Equal(("postgres", "Europe/Berlin", "agg.hourly", "report_date"),
            (source.Kind, source.TimeZone, source.BatchTables[0].Table, source.DailyTables[0].Column));
        Assert.Empty(options.Problems(["warehouse"], [PostgresPreaggregateReader.KindName]));
    }

    [Fact]
    public void When_a_source_is_misconfigured_Should_name_every_problem()
    {
        var options = new PreaggregatesOptions
        {
            Sources = { ["Bad"] = new PreaggregateSourceOptions { Kind = "oracle", TimeZone = "Mars/Olympus", BatchTables = [new PreaggregateTableOptions()] } },
        };

        var problems = options.Problems(["Bad"], [PostgresPreaggregateReader.KindName]);

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("lower-case"));
        Assert.Contains(problems, p => p.Contains("kind 'oracle' has no reader"));
        Assert.Contains(problems, p => p.Contains("ConnectionString is empty"));
        Assert.Contains(problems, p => p.Contains("time zone 'Mars/Olympus' is unknown"));
        Assert.Contains(problems, p => p.Contains("has no Table"));
    }
}
