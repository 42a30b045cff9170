using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>#/start: the form generated from the platform's settings schema, the API's 400 beside its field, a start.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class StartPageTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task The_form_is_generated_from_the_schema_an_invalid_value_shows_the_APIs_error_beside_it_and_a_valid_one_starts_the_job()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/start?platform=synthetic");
        var page = console.Page;
        var form = page.Locator("#start-form");
        var children = form.Locator("[data-field='settings.children'] input[type=number]");
        await children.WaitForAsync();
        Assert.Equal("synthetic", await form.Locator("select[name=platform]").InputValueAsync());
        Assert.Equal("3", await children.InputValueAsync()); // the schema's default
        Assert.Equal("0", await children.GetAttributeAsync("min"));
        Assert.Equal("1000000", await children.GetAttributeAsync("max"));
        var token = form.Locator("[data-field='settings.api_token'] input");
        Assert.Equal("password", await token.GetAttributeAsync("type"));
        Assert.Equal("", await token.InputValueAsync());
        Assert.Equal("checkbox", await form.Locator("[data-field='settings.continuation'] input").GetAttributeAsync("type"));
        Assert.Equal("any", await form.Locator("[data-field='settings.fail_ratio'] input").GetAttributeAsync("step"));

        // Beyond the maximum: the API refuses it (400) and its message stands beside the field; no job starts.
        await children.FillAsync("2000000");
        var refused = await page.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(),
            r => r.Url.EndsWith("/jobs", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        var error = form.Locator("[data-field='settings.children'] .field-error");
        await error.WaitForAsync();
        Assert.Contains("must be at most 1000000", await error.InnerTextAsync());
        Assert.Contains("invalid", await form.Locator("[data-field='settings.children']").GetAttributeAsync("class") ?? "");
        Assert.EndsWith("#/start?platform=synthetic", page.Url);
        await console.ScreenshotAsync("start-form");

        // Below the minimum too, and fixed: the error goes, the job starts and the page goes to it.
        await children.FillAsync("-1");
        await form.Locator("button[type=submit]").ClickAsync();
        await page.Locator("[data-field='settings.children'] .field-error:text('must be at least 0')").WaitForAsync();
        await children.FillAsync("30");
        await form.Locator("[data-field='settings.work_ms'] input").FillAsync("200");
        await token.FillAsync("not-a-real-token");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        await console.StepAsync("the valid form starts the job and the page goes to it", async () =>
        {
            var accepted = await page.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(),
                r => r.Url.EndsWith("/jobs", StringComparison.Ordinal) && r.Request.Method == "POST", new() { Timeout = 60_000 });
            Assert.True(accepted.Status == 202, $"POST /jobs answered {accepted.Status}: {await accepted.TextAsync()}");
            await page.WaitForURLAsync(new Regex(@"#/jobs/[0-9a-fA-F-]{36}$"), new() { WaitUntil = WaitUntilState.Commit, Timeout = 30_000 });
        });
        var id = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);

        // The job's page follows it to the end by itself: no reload.
        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("Completed", new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("#job-progress-text")).ToContainTextAsync("30 of 30 children finished");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        Assert.DoesNotContain("not-a-real-token", await page.ContentAsync());
        ConsoleAssert.NoErrorsBut(console, (ConsoleAssert.LoadFailed(400), 2));
    }

    [Fact]
    public async Task Invalid_JSON_in_an_object_setting_is_marked_beside_it_and_nothing_is_sent()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/start?platform=catalogue");
        var page = console.Page;
        var form = page.Locator("#start-form");
        var definition = form.Locator("[data-field='settings.vendor_definition'] textarea");
        await definition.WaitForAsync();
        Assert.Equal(1, await form.Locator("[data-field='settings.vendors'] textarea").CountAsync()); // string[]: one per line
        Assert.Equal("SELECT", await form.Locator("[data-field='settings.mode'] select").EvaluateAsync<string>("e => e.tagName"));
        var posts = 0;
        page.Request += (_, request) => { if (request.Method == "POST" && request.Url.EndsWith("/jobs", StringComparison.Ordinal)) posts++; };
        await definition.FillAsync("{ \"name\": \"shop\", ");
        await form.Locator("button[type=submit]").ClickAsync();
        await form.Locator("[data-field='settings.vendor_definition'] .field-error:has-text('is not valid JSON')").WaitForAsync();
        Assert.Equal(0, posts);
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await console.ScreenshotAsync("start-form-json");
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task Starting_from_a_job_preselects_its_platform_and_leaves_its_secrets_to_be_entered_again()
    {
        var id = await fixture.SubmitAsync(new { children = 1, api_token = "never-shown" });
        await fixture.WaitForEndAsync(id, TimeSpan.FromSeconds(60)); // the audit trail holds its settings by then
        var job = await fixture.Api.GetStringAsync($"jobs/{id}");
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/start?from={id}");
        var form = console.Page.Locator("#start-form");
        await form.Locator(".notice:has-text('Settings copied from job')").WaitForAsync();
        Assert.Equal("synthetic", await form.Locator("select[name=platform]").InputValueAsync());
        Assert.Equal("", await form.Locator("[data-field='settings.api_token'] input").InputValueAsync());
        Assert.DoesNotContain("never-shown", await console.Page.ContentAsync());
        // GET /jobs/{id} carries the audited settings once the API returns them; the form then holds the job's values.
        if (System.Text.Json.JsonDocument.Parse(job).RootElement.TryGetProperty("settings", out var settings)
            && settings.ValueKind == System.Text.Json.JsonValueKind.Object && settings.TryGetProperty("children", out _))
            Assert.Equal("1", await form.Locator("[data-field='settings.children'] input").InputValueAsync());
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task A_role_that_may_not_run_jobs_is_told_so()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.UserKey, "#/start");
        await console.Page.Locator(".notice:text('may not start jobs')").WaitForAsync();
        Assert.Equal(0, await console.Page.Locator("#start-form").CountAsync());
        ConsoleAssert.NoErrors(console);
    }
}
