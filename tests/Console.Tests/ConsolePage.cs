using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>
/// A browser context of its own (cookies of its own) signed in through the sign-in form, which records every console error
/// and refused request of its pages (a Content-Security-Policy violation shows as one) so a test can assert there were none.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    private ConsolePage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (_errors) _errors.Add($"{message.Text} ({message.Location})");
        };
        page.PageError += (_, error) =>
        {
            lock (_errors) _errors.Add("page error: " + error);
        };
    }

    public IPage Page { get; }

    /// <summary>Console errors and uncaught exceptions of the page so far (expected ones, such as a 403 the test provoked, are filtered by the caller).</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors) return _errors.ToList();
        }
    }

    public static async Task<ConsolePage> SignInAsync(ConsoleFixture fixture, string key, string hash = "#/")
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var console = new ConsolePage(context, page);
        await page.GotoAsync("/console/" + hash);
        await page.FillAsync("#api-key", key);
        await page.ClickAsync("#signin-form button[type=submit]");
        await page.WaitForSelectorAsync("#who:not([hidden])");
        // Before signing in, the page's GET /session was answered 401: that is how it knows to show the form.
        lock (console._errors) console._errors.Clear();
        return console;
    }

    /// <summary>Saves a full-page screenshot under the test output (<c>screenshots/</c>), and in <c>CONSOLE_SCREENSHOTS</c> when that is set.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        if (Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS") is { Length: > 0 } copies)
        {
            Directory.CreateDirectory(copies);
            File.Copy(path, Path.Combine(copies, name + ".png"), overwrite: true);
        }

        return path;
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
