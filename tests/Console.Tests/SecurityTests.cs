using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>Roles, CSRF and escaping, in the browser: what the page hides the API refuses, and user input is only ever text.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SecurityTests(ConsoleFixture fixture)
{
    [Fact]
    public async Task A_user_key_sees_no_action_and_its_forged_requests_get_403()
    {
        var id = await fixture.SubmitAsync(new { children = 300, work_ms = 300 });
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.UserKey, $"#/jobs/{id}");
        var page = console.Page;
        await page.WaitForSelectorAsync("#job-status .badge");
        Assert.Equal(0, await page.Locator("#job-actions button, #job-actions a").CountAsync());
        Assert.False(await page.Locator("#nav a[data-route=start]").IsVisibleAsync());
        Assert.False(await page.Locator("#nav a[data-route=keys]").IsVisibleAsync());

        await page.GotoAsync("/console/#/jobs");
        await page.WaitForSelectorAsync("#jobs-list table");
        Assert.Equal(0, await page.Locator("#jobs-list input[type=checkbox]").CountAsync());
        Assert.Equal(0, await page.Locator("#jobs-bulk button").CountAsync());
        await console.ScreenshotAsync("user-jobs");

        // The requests the hidden buttons would make, forged from the session with its own CSRF token: 403, and nothing happens.
        var statuses = await page.EvaluateAsync<int[]>($$"""
            async () => {
              const session = await (await fetch('/session')).json();
              const headers = { 'Content-Type': 'application/json', 'X-Csrf-Token': session.csrf };
              const cancel = await fetch('/jobs/{{id}}', { method: 'DELETE', headers });
              const start = await fetch('/jobs', { method: 'POST', headers, body: JSON.stringify({ platform: 'synthetic', settings: {} }) });
              const key = await fetch('/keys', { method: 'POST', headers, body: JSON.stringify({ name: 'x', role: 'internal' }) });
              return [cancel.status, start.status, key.status];
            }
            """);
        Assert.Equal([403, 403, 403], statuses);
        Assert.NotEqual("Cancelled", await fixture.StatusAsync(id));
        await fixture.Api.DeleteAsync($"jobs/{id}");
    }

    [Fact]
    public async Task A_state_changing_request_of_a_session_without_its_CSRF_token_gets_403()
    {
        var id = await fixture.SubmitAsync(new { children = 300, work_ms = 300 });
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey);
        var statuses = await console.Page.EvaluateAsync<int[]>($$"""
            async () => {
              const none = await fetch('/jobs/{{id}}', { method: 'DELETE' });
              const wrong = await fetch('/jobs/{{id}}', { method: 'DELETE', headers: { 'X-Csrf-Token': 'forged' } });
              return [none.status, wrong.status];
            }
            """);
        Assert.Equal([403, 403], statuses);
        Assert.NotEqual("Cancelled", await fixture.StatusAsync(id));

        // The cookie is not readable by scripts and is never sent by another site.
        var cookie = (await console.Page.Context.CookiesAsync()).Single(c => c.Name == "jobs_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("", await console.Page.EvaluateAsync<string>("() => document.cookie"));
        // The key itself is in no URL and nowhere in the page.
        Assert.DoesNotContain(fixture.AdminKey, console.Page.Url);
        Assert.DoesNotContain(fixture.AdminKey, await console.Page.ContentAsync());
        await fixture.Api.DeleteAsync($"jobs/{id}");
    }

    [Fact]
    public async Task A_revoked_key_ends_its_console_session()
    {
        var key = await fixture.CreateKeyAsync("to revoke", "service");
        await using var console = await ConsolePage.SignInAsync(fixture, key, "#/jobs");
        await console.Page.WaitForSelectorAsync("#jobs-list table");
        var keys = await fixture.Api.GetFromJsonAsync<KeyInfo[]>("keys");
        var revoked = await fixture.Api.DeleteAsync($"keys/{keys!.Single(k => k.Name == "to revoke").Id}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        var status = await console.Page.EvaluateAsync<int>("async () => (await fetch('/jobs')).status");
        Assert.Equal(401, status);
    }

    private sealed record KeyInfo(string Id, string Name, string Role);

    [Fact]
    public async Task Settings_and_errors_holding_markup_are_shown_as_text()
    {
        const string hostile = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">\" onmouseover=\"window.__xss=3";
        var id = await fixture.SubmitAsync(new { children = 4, fail_ratio = 1.0, note = hostile });
        await fixture.WaitForEndAsync(id, TimeSpan.FromSeconds(90));
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/jobs/{id}");
        var page = console.Page;

        // The settings are shown as JSON (its quotes escaped), the errors as they are.
        var asJson = System.Text.Json.JsonSerializer.Serialize(hostile, new System.Text.Json.JsonSerializerOptions
            { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        await Assertions.Expect(page.Locator("#job-settings-json")).ToContainTextAsync(asJson);
        await Assertions.Expect(page.Locator("#job-failures table")).ToContainTextAsync(hostile);
        await page.HoverAsync("#job-failures table td.wrap");
        await page.GotoAsync($"/console/#/jobs?q={Uri.EscapeDataString("onmouseover")}");
        await page.WaitForSelectorAsync("#jobs-list table");
        await Assertions.Expect(page.Locator($"#jobs-list tr[data-job='{id}']")).ToHaveCountAsync(1);
        await page.GotoAsync($"/console/#/jobs/{id}");
        await Assertions.Expect(page.Locator("#job-settings-json")).ToContainTextAsync(asJson);
        Assert.Equal(0, await page.Locator("#view script, #view img[src=x]").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__xss ?? null"));
        await console.ScreenshotAsync("xss-as-text");
        ConsoleAssert.NoErrors(console);
    }
}
