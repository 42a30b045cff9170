using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>#/audits against GET /data-audits: its series and failures when the endpoint exists, a clear notice when it does not.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class AuditsPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task The_audits_page_shows_the_series_and_failures_or_says_the_endpoint_is_missing()
    {
        using var probe = await fixture.Api.GetAsync("data-audits");
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/audits");
        var page = console.Page;
        if (probe.StatusCode == HttpStatusCode.NotFound)
        {
            await page.Locator("#audits-missing:has-text('no GET /data-audits endpoint')").WaitForAsync();
            await console.ScreenshotAsync("audits");
            ConsoleAssert.NoErrorsBut(console, (ConsoleAssert.LoadFailed(404), 1));
            return;
        }

        Assert.True(probe.IsSuccessStatusCode, await probe.Content.ReadAsStringAsync());
        var data = JsonDocument.Parse(await probe.Content.ReadAsStringAsync()).RootElement;
        await page.Locator("#audit-failures table").WaitForAsync();
        Assert.Equal(data.GetProperty("series").GetArrayLength(), await page.Locator(".audit-chart").CountAsync());
        Assert.Equal(data.GetProperty("series").GetArrayLength(), await page.Locator(".audit-chart svg.chart").CountAsync());
        await console.ScreenshotAsync("audits");
        ConsoleAssert.NoErrors(console);
    }

    /// <summary>
    /// The page against the agreed shape of GET /data-audits, answered by the browser itself (the endpoint arrives from another
    /// branch): one chart per series with its failed audits marked, the failures listed newest first with links to their jobs.
    /// </summary>
    [Fact]
    public async Task Each_series_is_charted_with_its_failed_audits_marked_and_the_failures_link_to_their_jobs()
    {
        var jobs = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToArray();
        var start = new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
        object Point(int i, double value, double? previous, bool failed) =>
            new { rootJobId = jobs[i], measuredAt = start.AddDays(i), value, previousValue = previous, auditFailed = failed };
        var body = JsonSerializer.Serialize(new
        {
            series = new object[]
            {
                new
                {
                    platform = "reddit", dataset = "submissions", subject = "r/dotnet",
                    points = new[] { Point(0, 120, null, false), Point(1, 131, 120, false), Point(2, 12, 131, true), Point(3, 127, 12, false) },
                },
                new
                {
                    platform = "movies", dataset = "movies", subject = "rows",
                    points = new[] { Point(4, 45_000, null, false), Point(5, 46_100, 45_000, false) },
                },
            },
            failures = new[]
            {
                new { rootJobId = jobs[2], platform = "reddit", dataset = "submissions", subject = "r/dotnet", value = 12.0, previousValue = 131.0, measuredAt = start.AddDays(2) },
            },
        });
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/schedules");
        var page = console.Page;
        await page.Locator("#schedules table").WaitForAsync();
        string? asked = null;
        await page.RouteAsync(new Regex(@"/data-audits(\?|$)"), route =>
        {
            asked = route.Request.Url;
            return route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = body });
        });
        await page.EvaluateAsync("() => { location.hash = '#/audits?platform=reddit&dataset=submissions'; }");
        await page.Locator(".audit-chart svg.chart").First.WaitForAsync();
        Assert.Contains("platform=reddit", asked);
        Assert.Contains("dataset=submissions", asked);
        Assert.Equal(2, await page.Locator(".audit-chart").CountAsync());
        Assert.Equal(1, await page.Locator(".audit-chart svg.chart .point-bad").CountAsync());
        Assert.Equal(5, await page.Locator(".audit-chart svg.chart .point").CountAsync());
        Assert.Equal(2, await page.Locator(".audit-chart svg.chart path.line").CountAsync());
        var failure = page.Locator("#audit-failures tbody tr");
        Assert.Equal(1, await failure.CountAsync());
        Assert.Contains("-90.8 %", await failure.InnerTextAsync());
        Assert.Equal($"#/jobs/{jobs[2]}", await failure.Locator("a").GetAttributeAsync("href"));
        Assert.Equal("reddit", await page.Locator("#audit-filters select[name=platform]").InputValueAsync());
        await console.ScreenshotAsync("audits-charts");
        ConsoleAssert.NoErrors(console);
    }
}
