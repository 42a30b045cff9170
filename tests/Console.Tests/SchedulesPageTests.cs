using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>#/schedules and #/schedules/{name}: the list's actions, the editor's errors, creating and deleting through the UI.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SchedulesPageTests(ConsoleFixture fixture)
{
    private async Task<JsonElement?> ScheduleAsync(string name)
    {
        var list = await fixture.Api.GetFromJsonAsync<JsonElement>("schedules");
        foreach (var s in list.EnumerateArray())
        {
            if (s.GetProperty("schedule").GetProperty("name").GetString() == name) return s;
        }

        return null;
    }

    private async Task<string?> StateAsync(string name) => (await ScheduleAsync(name))?.GetProperty("state").GetString();

    [Fact]
    public async Task Pausing_and_resuming_from_the_list_changes_the_state_shown_and_the_APIs()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/schedules");
        var row = console.Page.Locator($"tr[data-schedule='{ConsoleFixture.Schedule}']");
        await row.WaitForAsync();
        Assert.Equal("Normal", await StateAsync(ConsoleFixture.Schedule));
        Assert.Equal("enabled", await row.Locator("td.state .badge").InnerTextAsync());
        Assert.Contains("0 0 * * * ?", await row.InnerTextAsync());
        try
        {
            await row.Locator("[data-action=pause]").ClickAsync();
            await row.Locator("td.state .badge:text-is('paused')").WaitForAsync();
            Assert.Equal("Paused", await StateAsync(ConsoleFixture.Schedule));
            Assert.Equal(1, await row.Locator("[data-action=resume]").CountAsync());
            await console.ScreenshotAsync("schedules-paused");

            await row.Locator("[data-action=resume]").ClickAsync();
            await row.Locator("td.state .badge:text-is('enabled')").WaitForAsync();
            Assert.Equal("Normal", await StateAsync(ConsoleFixture.Schedule));
            await console.ScreenshotAsync("schedules");
        }
        finally
        {
            await fixture.Api.PostAsync($"schedules/{ConsoleFixture.Schedule}/resume", null);
        }

        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task A_bad_cron_saved_from_the_schedules_page_shows_the_Schedulers_error_beside_the_cron()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/schedules/{ConsoleFixture.Schedule}");
        var page = console.Page;
        await page.Locator("#schedule-cron").WaitForAsync();
        Assert.Equal("0 0 * * * ?", await page.Locator("#schedule-cron").InnerTextAsync());
        await page.Locator("#schedule-runs table").WaitForAsync();
        await page.ClickAsync("#edit-schedule");
        var editor = page.Locator("#schedule-editor");
        await editor.Locator("input[name=cron]").FillAsync("every full moon");
        var refused = await page.RunAndWaitForResponseAsync(() => editor.Locator("button[type=submit]").ClickAsync(),
            r => r.Request.Method == "PUT");
        Assert.Equal(400, refused.Status);
        var error = editor.Locator("[data-field=cron] .field-error");
        await error.WaitForAsync();
        Assert.Contains("'every full moon' is not a Quartz cron expression", await error.InnerTextAsync());
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await console.ScreenshotAsync("schedule-detail");
        var state = await ScheduleAsync(ConsoleFixture.Schedule);
        Assert.Equal("0 0 * * * ?", state!.Value.GetProperty("schedule").GetProperty("cron").GetString());
        ConsoleAssert.NoErrorsBut(console, (ConsoleAssert.LoadFailed(400), 1));
    }

    [Fact]
    public async Task A_schedule_created_through_the_editor_is_stored_shown_and_deleted_through_the_page()
    {
        const string name = "console-ui-created";
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/schedules");
        var page = console.Page;
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        try
        {
            await page.ClickAsync("#new-schedule");
            var editor = page.Locator("#schedule-editor");
            await editor.Locator("input[name=name]").FillAsync(name);
            await editor.Locator("select[name=platform]").SelectOptionAsync("synthetic");
            await editor.Locator("input[name=cron]").FillAsync("0 30 2 ? * MON-FRI");
            await editor.Locator("input[name=timeZone]").FillAsync("Europe/Berlin");
            await editor.Locator("select[name=misfire]").SelectOptionAsync("catch_up");
            await editor.Locator("input[name=maxCatchUp]").FillAsync("3");
            await editor.Locator("[data-field='settings.children'] input").FillAsync("4");
            await editor.Locator("[data-field='settings.api_token'] input").FillAsync("sched-secret");
            await console.ScreenshotAsync("schedule-new");
            await editor.Locator("button[type=submit]").ClickAsync();

            await page.WaitForURLAsync($"**#/schedules/{name}", new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
            await page.Locator("#schedule-cron:text-is('0 30 2 ? * MON-FRI')").WaitForAsync();
            var stored = (await ScheduleAsync(name))!.Value.GetProperty("schedule");
            Assert.Equal("Europe/Berlin", stored.GetProperty("timeZone").GetString());
            Assert.Equal("catch_up", stored.GetProperty("misfire").GetString());
            Assert.Equal(3, stored.GetProperty("maxCatchUp").GetInt32());
            Assert.Equal(4, stored.GetProperty("settings").GetProperty("children").GetInt32());
            Assert.Equal("***", stored.GetProperty("settings").GetProperty("api_token").GetString());
            Assert.DoesNotContain("sched-secret", await page.ContentAsync());
            await console.ScreenshotAsync("schedule-created");

            await page.Locator("#schedule-details").WaitForAsync();
            await page.ClickAsync(".page-head [data-action=delete]");
            await page.WaitForURLAsync("**#/schedules", new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
            await page.Locator($"tr[data-schedule='{ConsoleFixture.Schedule}']").WaitForAsync();
            Assert.Equal(0, await page.Locator($"tr[data-schedule='{name}']").CountAsync());
            Assert.Null(await ScheduleAsync(name));
        }
        finally
        {
            await fixture.Api.DeleteAsync($"schedules/{name}");
        }

        ConsoleAssert.NoErrors(console);
    }
}
