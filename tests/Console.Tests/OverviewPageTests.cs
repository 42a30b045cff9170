using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>The landing page: live running jobs, the queues and their consumers, the dependencies and the next fires.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class OverviewPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task The_overview_follows_a_running_job_until_it_ends_and_shows_the_bus_and_the_dependencies()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey);
        var page = console.Page;
        await Assertions.Expect(page.Locator("#overview-live")).ToHaveTextAsync("live");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        // A job started after the page opened appears by itself, with its progress.
        var id = await fixture.SubmitAsync(new { children = 30, work_ms = 1500 });
        var row = page.Locator($"#overview-running tr[data-job='{id}']");
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(row.Locator(".progress")).ToHaveCountAsync(1);

        var synthetic = page.Locator("#overview-queues tr[data-queue='integration-synthetic']");
        await Assertions.Expect(synthetic).ToHaveCountAsync(1);
        await Assertions.Expect(synthetic.Locator("td").Nth(4)).ToContainTextAsync("in flight");
        foreach (var dependency in new[] { "rabbitmq", "redis", "postgresql" })
            await Assertions.Expect(page.Locator("#overview-dependencies .dep.ok", new() { HasTextString = dependency }).First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#overview-fires")).ToContainTextAsync(ConsoleFixture.Schedule);
        await Assertions.Expect(page.Locator("#overview-platforms tr[data-platform='synthetic'] svg.chart")).ToHaveCountAsync(1);
        await console.ScreenshotAsync("overview");

        // ... and leaves the running list when it ends, still without a reload.
        await fixture.WaitForEndAsync(id, TimeSpan.FromSeconds(90));
        await Assertions.Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        ConsoleAssert.NoErrors(console);
    }
}
