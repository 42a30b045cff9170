using System.Net;
using System.Text.Json;
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
    /// Runs whose measurements the Auditor's own data audits recorded in the fixture's audit database (its rule: a drop of more than
    /// 20% fails): one chart per series with its failed audits marked, the failures listed with links to their jobs.
    /// </summary>
    [Fact]
    public async Task Each_series_is_charted_with_its_failed_audits_marked_and_the_failures_link_to_their_jobs()
    {
        var start = new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
        var subject = $"r/console{Guid.NewGuid():N}"[..20];
        var runs = new List<Guid>();
        foreach (var (day, value) in new[] { (0, 120.0), (1, 131.0), (2, 12.0), (3, 127.0) })
            runs.Add(await fixture.RecordMeasurementAsync("reddit", start.AddDays(day), ("submissions", subject, value)));

        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey,
            $"#/audits?platform=reddit&dataset=submissions");
        var page = console.Page;
        var chart = page.Locator(".audit-chart", new() { HasTextString = subject });
        await chart.Locator("svg.chart").WaitForAsync();
        Assert.Equal(1, await chart.Locator("svg.chart .point-bad").CountAsync());
        Assert.Equal(3, await chart.Locator("svg.chart .point").CountAsync());
        Assert.Equal(1, await chart.Locator("svg.chart path.line").CountAsync());
        var failure = page.Locator("#audit-failures tbody tr", new() { HasTextString = subject });
        Assert.Equal(1, await failure.CountAsync());
        Assert.Contains("-90.8 %", await failure.InnerTextAsync());
        Assert.Equal($"#/jobs/{runs[2]}", await failure.Locator("a").GetAttributeAsync("href"));
        Assert.Equal("reddit", await page.Locator("#audit-filters select[name=platform]").InputValueAsync());
        await console.ScreenshotAsync("audits-charts");
        ConsoleAssert.NoErrors(console);
    }
}
