using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>The launch itself: Playwright drives Debian's Chromium from its path, never a downloaded browser.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class BrowserLaunchTests(ConsoleFixture fixture)
{
    [Fact]
    public void The_system_Chromium_is_the_browser_that_runs()
    {
        Assert.True(File.Exists(ConsoleFixture.ChromiumPath), $"{ConsoleFixture.ChromiumPath} is missing: run infra/install.sh");
        Assert.Matches(@"^\d+\.", fixture.Browser.Version);
        Assert.True(fixture.Browser.IsConnected);
    }

    [Fact]
    public async Task The_console_page_is_served_with_a_policy_that_forbids_inline_scripts_and_other_origins()
    {
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey);
        var response = await console.Page.ReloadAsync();
        var policy = await response!.HeaderValueAsync("content-security-policy");
        Assert.NotNull(policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.Equal("DENY", await response.HeaderValueAsync("x-frame-options"));

        // An inline script injected into the page does not run.
        var ran = await console.Page.EvaluateAsync<bool>("""
            () => new Promise(resolve => {
              window.__inline = false;
              const s = document.createElement('script');
              s.textContent = 'window.__inline = true';
              document.body.append(s);
              setTimeout(() => resolve(window.__inline), 200);
            })
            """);
        Assert.False(ran);
    }
}
