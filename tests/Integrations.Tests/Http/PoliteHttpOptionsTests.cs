using Jobs.Plugins.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests.Http;

public sealed class PoliteHttpOptionsTests
{
    [Fact]
    public void When_configured_per_integration_and_host_Should_take_the_host_then_the_integration_then_the_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Integrations:Http:UserAgent"] = "Default/1.0",
            ["Integrations:Http:RequestsPerSecond"] = "2",
            ["Integrations:Http:Integrations:reddit:UserAgent"] = "RedditBot/1.0",
            ["Integrations:Http:Integrations:reddit:MaxAttempts"] = "7",
            ["Integrations:Http:Hosts:127.0.0.1:RequestsPerSecond"] = "10",
            ["Integrations:Http:Hosts:127.0.0.1:Burst"] = "3",
            ["Integrations:Http:Hosts:oauth.reddit.com:RequestsPerSecond"] = "0",
        }).Build();
        var services = new ServiceCollection();
        services.Configure<PoliteHttpOptions>(configuration.GetSection("Integrations:Http"));
        var options = services.BuildServiceProvider().GetRequiredService<IOptions<PoliteHttpOptions>>().Value;

        var local = options.Resolve("catalogue", "127.0.0.1");
        var reddit = options.Resolve("reddit", "oauth.reddit.com");
        var other = options.Resolve("catalogue", "shop.example");

        Assert.Equal(("Default/1.0", 10.0, 3, 4), (local.UserAgent, local.RequestsPerSecond, local.Burst, local.MaxAttempts));
        Assert.Equal(("RedditBot/1.0", 0.0, 1, 7), (reddit.UserAgent, reddit.RequestsPerSecond, reddit.Burst, reddit.MaxAttempts));
        Assert.Equal(("Default/1.0", 2.0, 1, true), (other.UserAgent, other.RequestsPerSecond, other.Burst, other.ObeyRobots));
    }
}
