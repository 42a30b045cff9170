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
    private readonly List<string> _requests = [];

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
        // The API's answers (not the static files), kept to say what the page was waiting on when a step times out.
        page.RequestFinished += (_, request) => Record(request, request.Failure);
        page.RequestFailed += (_, request) => Record(request, request.Failure ?? "failed");
    }

    private void Record(IRequest request, string? failure)
    {
        if (request.Url.Contains("/console/", StringComparison.Ordinal)) return;
        var timing = request.Timing;
        lock (_requests) _requests.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {request.Method} {request.Url} " +
                                       $"{failure ?? "answered"} after {timing.ResponseEnd:0} ms");
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

    /// <summary>
    /// Runs a step of the test; when it times out, the exception says where the page was, the errors and toasts it shows and its
    /// last API requests, so a failure seen only under CI load can be told apart (the request never answered, or refused, or never sent).
    /// </summary>
    public async Task StepAsync(string what, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{what}: {timeout.Message}\n{await DescribeAsync()}", timeout);
        }
    }

    private async Task<string> DescribeAsync()
    {
        string shown;
        try
        {
            shown = string.Join(" | ", await Page.Locator(".field-error, .toast, .form-error").AllInnerTextsAsync());
        }
        catch (PlaywrightException x)
        {
            shown = "(unreadable: " + x.Message + ")";
        }

        List<string> requests;
        lock (_requests) requests = _requests.TakeLast(12).ToList();
        return $"url: {Page.Url}\nshown: {shown}\nerrors: {string.Join(" | ", Errors)}\nlast requests:\n  {string.Join("\n  ", requests)}";
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
