namespace Jobs.Console.Tests;

/// <summary>A <c>user</c> key reads but may not act: the pages show it no action, no Start link, no Keys link.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RolePagesTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_user_key_sees_no_action_buttons_no_start_link_and_no_keys_link()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.UserKey, "#/schedules");
        var page = console.Page;
        var row = page.Locator($"tr[data-schedule='{ConsoleFixture.Schedule}']");
        await row.WaitForAsync();
        Assert.False(await page.Locator("#nav a[data-route=start]").IsVisibleAsync());
        Assert.False(await page.Locator("#nav a[data-route=keys]").IsVisibleAsync());
        Assert.True(await page.Locator("#nav a[data-route=schedules]").IsVisibleAsync());
        Assert.Equal(0, await page.Locator("#schedules [data-action]").CountAsync());
        Assert.Equal(0, await page.Locator("#new-schedule").CountAsync());
        await console.ScreenshotAsync("schedules-user");

        await row.Locator("a.schedule-link").ClickAsync();
        await page.Locator("#schedule-cron").WaitForAsync();
        await page.Locator("#schedule-runs table").WaitForAsync();
        Assert.Equal(0, await page.Locator("#view [data-action]").CountAsync());
        Assert.Equal(0, await page.Locator("#edit-schedule").CountAsync());
        Assert.Equal(0, await page.Locator("#view a[href^='#/start']").CountAsync());
        await console.ScreenshotAsync("schedule-detail-user");

        // Typed in, the keys page says so rather than ask the API (which would answer 403).
        await page.GotoAsync("/console/#/keys");
        await page.Locator(".notice:text('may not manage keys')").WaitForAsync();
        Assert.Equal(0, await page.Locator("#key-form").CountAsync());
        ConsoleAssert.NoErrors(console);
    }
}
