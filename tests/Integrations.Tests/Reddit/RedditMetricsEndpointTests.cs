using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Jobs.Integrations.Tests.Reddit;

public sealed partial class RedditMetricsEndpointTests(HostFixture host) : IClassFixture<HostFixture>
{
    /// <summary>The Integrations process's <c>/metrics</c>: the service defaults' endpoints, on a local port, in this process.</summary>
    private static async Task<string> ScrapeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHealthChecks();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var text = await client.GetStringAsync("/metrics");
        await app.StopAsync();
        return text;
    }

    /// <summary>The value of the sample <paramref name="name"/> with <paramref name="labels"/> (among others) in an exposition.</summary>
    private static double Sample(string exposition, string name, params (string Label, string Value)[] labels)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal)
                                                               && labels.All(p => l.Contains($"{p.Label}=\"{p.Value}\"", StringComparison.Ordinal)));
        Assert.True(line is not null, $"no sample {name} with {string.Join(", ", labels)} on /metrics");
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task When_new_submissions_are_stored_Should_show_their_counts_and_distributions_on_the_metrics_endpoint()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        var by = ("subreddit", subreddit);
        var posts = reddit.Api.Publish(subreddit, 3, comments: 4);
        await reddit.RunSubredditAsync(subreddit);

        var first = await ScrapeAsync();

        Assert.Equal((3, 12, 3, 1), Counts(first, subreddit));
        Assert.True(Sample(first, "reddit_submission_fetch_seconds_sum", by) > 0);
        Assert.Equal(posts.Sum(p => ((string)p["title"]!).Length), Sample(first, "reddit_submission_title_length_chars_sum", by));
        Assert.Equal(posts.Sum(p => ((string)p["selftext"]!).Length), Sample(first, "reddit_submission_body_length_chars_sum", by));
        // The fake posts at 1,700,000,000 s = 2023-11-14 22:13:20 UTC: hour 22.
        Assert.Equal((0, 3, 3), (Sample(first, "reddit_submission_posting_hour_bucket", by, ("le", "21")),
            Sample(first, "reddit_submission_posting_hour_bucket", by, ("le", "22")), Sample(first, "reddit_submission_posting_hour_count", by)));

        reddit.Api.Publish(subreddit, 2, comments: 1);
        await reddit.RunSubredditAsync(subreddit);

        var second = await ScrapeAsync();

        Assert.Equal((5, 14, 5, 2), Counts(second, subreddit));
    }

    /// <summary>New submissions, new comments, title lengths observed and listing pages fetched, as <c>/metrics</c> shows them.</summary>
    private static (double Submissions, double Comments, double Titles, double Pages) Counts(string exposition, string subreddit) =>
        (Sample(exposition, "reddit_new_submissions_total", ("subreddit", subreddit)),
            Sample(exposition, "reddit_new_comments_total", ("subreddit", subreddit)),
            Sample(exposition, "reddit_submission_title_length_chars_count", ("subreddit", subreddit)),
            Sample(exposition, "reddit_submission_fetch_seconds_count", ("subreddit", subreddit)));

    [Fact]
    public async Task When_the_dashboard_is_provisioned_Should_query_only_metrics_the_metrics_endpoint_shows()
    {
        await using var reddit = await RedditHarness.StartAsync(host);
        var subreddit = RedditHarness.NewSubreddit();
        reddit.Api.Publish(subreddit, 1);
        reddit.Api.Script(_ => new ScriptedAnswer(503, "{}")); // so the HTTP error counter has a reddit sample too
        await reddit.RunSubredditAsync(subreddit);
        var exposition = await ScrapeAsync();
        var root = ServiceSystem.RepositoryRoot();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "infra", "grafana", "dashboards", "reddit.json")));

        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        var metrics = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Distinct().ToList();

        Assert.Contains("reddit_submission_fetch_seconds_sum", metrics);
        Assert.Contains("reddit_submission_posting_hour_bucket", metrics);
        Assert.All(metrics, metric => Assert.Matches($"(?m)^{metric}[{{ ]", exposition));
        // Provisioned from the folder docker-compose mounts where the provider looks.
        var compose = await File.ReadAllTextAsync(Path.Combine(root, "docker-compose.yml"));
        var provider = await File.ReadAllTextAsync(Path.Combine(root, "infra", "grafana", "provisioning", "dashboards", "dashboards.yml"));
        Assert.Contains("./infra/grafana/dashboards:/etc/grafana/dashboards:ro", compose);
        Assert.Contains("path: /etc/grafana/dashboards", provider);
    }

    [GeneratedRegex("\\b(reddit|integration_http)_[a-z_]+")]
    private static partial Regex MetricName();
}
