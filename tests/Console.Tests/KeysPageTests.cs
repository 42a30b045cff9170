using System.Net;

namespace Jobs.Console.Tests;

/// <summary>#/keys: a key created through the page is shown once and works; revoked through the page, it is refused.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class KeysPageTests(ConsoleFixture fixture)
{
    private async Task<HttpStatusCode> JobsWithAsync(string key)
    {
        using var client = new HttpClient { BaseAddress = fixture.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var response = await client.GetAsync("jobs?pageSize=1");
        return response.StatusCode;
    }

    [Fact]
    public async Task A_key_created_is_shown_once_works_for_the_API_and_is_refused_once_revoked()
    {
        var name = $"console ui key {Guid.NewGuid():N}"[..24];
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/keys");
        var page = console.Page;
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.Locator("#keys table").WaitForAsync();

        // Without a name the API's 400 stands beside the name field.
        await page.ClickAsync("#key-form button[type=submit]");
        await page.Locator("#key-form [data-field=name] .field-error:text('is required')").WaitForAsync();

        await page.FillAsync("#key-form input[name=name]", name);
        await page.SelectOptionAsync("#key-form select[name=role]", "service");
        await page.ClickAsync("#key-form button[type=submit]");
        var shown = page.Locator("#new-key");
        await shown.WaitForAsync();
        var key = await shown.InputValueAsync();
        Assert.StartsWith("jk_", key);
        Assert.Contains("it will not be shown again", await page.Locator(".key-once").InnerTextAsync());
        var row = page.Locator("#keys tr", new() { HasText = name });
        await row.WaitForAsync();
        Assert.Contains("service", await row.InnerTextAsync());
        await console.ScreenshotAsync("keys");

        Assert.Equal(HttpStatusCode.OK, await JobsWithAsync(key));

        // Shown once: the list, reloaded, has the key's row but not the key.
        await page.ReloadAsync();
        await row.WaitForAsync();
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());
        Assert.DoesNotContain(key, await page.ContentAsync());

        await row.Locator("[data-action=revoke]").ClickAsync();
        await row.WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached });
        Assert.Equal(HttpStatusCode.Unauthorized, await JobsWithAsync(key));
        ConsoleAssert.NoErrorsBut(console, (ConsoleAssert.LoadFailed(400), 1));
    }
}
