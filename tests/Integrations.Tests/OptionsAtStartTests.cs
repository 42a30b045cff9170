using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Movies;
using Jobs.Plugins.Reddit;
using Jobs.Integrations.Hosting;
using Jobs.Plugins.Http;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

/// <summary>The options of the Integrations service and its plugins are checked when it starts: a bad value stops it, naming the key.</summary>
public sealed class OptionsAtStartTests
{
    [Theory]
    [InlineData("Integrations:ChildDeadline", "00:00:00", "Integrations:ChildDeadline")]
    [InlineData("Integrations:Deadlines:movies", "-00:00:01", "Integrations:Deadlines:movies")]
    [InlineData("Integrations:AbandonGrace", "-00:00:01", "Integrations:AbandonGrace")]
    [InlineData("Integrations:MaxBatchStarts", "0", "Integrations:MaxBatchStarts")]
    [InlineData("Integrations:InteractiveConcurrentMessageLimit", "0", "Integrations:InteractiveConcurrentMessageLimit")]
    [InlineData("Integrations:InteractiveSpawnLimit", "-1", "Integrations:InteractiveSpawnLimit")]
    [InlineData("Integrations:Heartbeat:Interval", "00:00:00", "Integrations:Heartbeat:Interval")]
    [InlineData("Integrations:Heartbeat:RateWindow", "00:00:00", "Integrations:Heartbeat:RateWindow")]
    [InlineData("Integrations:Http:Hosts:shop.example:Outbound:AllowedHosts:0", "shop.example", "Integrations:Http:Hosts:shop.example:Outbound")]
    [InlineData("Integrations:Http:Outbound:AllowedNetworks:0", "not-a-network", "not-a-network")]
    [InlineData("Catalogue:WriteBatchSize", "0", "Catalogue:WriteBatchSize")]
    [InlineData("Catalogue:WriteLinger", "-00:00:01", "Catalogue:WriteLinger")]
    [InlineData("Reddit:CursorLifetime", "00:00:00", "Reddit:CursorLifetime")]
    [InlineData("Reddit:RedisPrefix", "", "Reddit:RedisPrefix")]
    [InlineData("Movies:MaxCompressionRatio", "0", "Movies:MaxCompressionRatio")]
    [InlineData("Movies:MaxDownloadBytes", "0", "Movies:MaxDownloadBytes")]
    [InlineData("Preaggregates:ConnectTimeoutSeconds", "-1", "Preaggregates:ConnectTimeoutSeconds")]
    [InlineData("Preaggregates:DownPolicy", "7", "Preaggregates:DownPolicy")]
    public async Task A_bad_option_fails_the_start_with_a_message_naming_its_key(string key, string value, string named)
    {
        await using var app = Compose(new Dictionary<string, string?> { [key] = value });

        var messages = OptionsFailures.OfStartupValidation(app.Services);

        Assert.Contains(named, messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shipped_configuration_passes_the_checks_and_binds_every_section_with_its_defaults()
    {
        var shipped = Path.Combine(ServiceSystem.RepositoryRoot(), "services", "Integrations", "appsettings.json");
        await using var app = Compose(new Dictionary<string, string?>(), shipped);

        app.Services.GetRequiredService<IStartupValidator>().Validate();

        var integrations = app.Services.GetRequiredService<IOptions<IntegrationsOptions>>().Value;
        var http = app.Services.GetRequiredService<IOptions<PoliteHttpOptions>>().Value;
        var catalogue = app.Services.GetRequiredService<IOptions<CatalogueOptions>>().Value;
        var reddit = app.Services.GetRequiredService<IOptions<RedditOptions>>().Value;
        var movies = app.Services.GetRequiredService<IOptions<MoviesOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), app.Services.GetRequiredService<IOptions<HeartbeatOptions>>().Value.Interval);
        Assert.Equal((TimeSpan.FromHours(12), TimeSpan.FromMinutes(50), 3), (integrations.DeadlineOf("movies"), integrations.DeadlineOf("catalogue"), integrations.MaxBatchStarts));
        Assert.Equal(("JobsPlatformBot/1.0", false), (http.UserAgent, http.Resolve("reddit", "oauth.reddit.com").ObeyRobots));
        Assert.Equal(("catalogue:", 200), (catalogue.RedisPrefix, catalogue.WriteBatchSize));
        Assert.Equal(("reddit:", TimeSpan.FromDays(30)), (reddit.RedisPrefix, reddit.CursorLifetime));
        Assert.Equal(["/var/lib/jobs/movies"], movies.AllowedDirectories);
        Assert.Equal(100.0, movies.MaxCompressionRatio);
    }

    private static WebApplication Compose(Dictionary<string, string?> settings, string? json = null)
    {
        var builder = WebApplication.CreateBuilder();
        if (json is not null) builder.Configuration.AddJsonFile(json, optional: false);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddIntegrationsServices();
        return builder.Build();
    }
}
