using System.Text.Json;
using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>The jobs list and a job's page in Chromium, against the five services: live status, the tree, cancel and retry.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class JobPagesTests(ConsoleFixture fixture)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_job_page_opened_while_the_job_runs_shows_it_Completed_without_a_reload()
    {
        var id = await fixture.SubmitAsync(new { children = 40, work_ms = 150 });
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/jobs/{id}");
        var page = console.Page;
        await page.WaitForSelectorAsync("#job-status .badge");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");

        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("Completed", new() { Timeout = (float)JobTimeout.TotalMilliseconds });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        await Assertions.Expect(page.Locator("#job-progress-text")).ToContainTextAsync("40 of 40 children finished");
        await Assertions.Expect(page.Locator("#job-live")).ToHaveTextAsync("ended");
        await console.ScreenshotAsync("job-detail");
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task A_job_page_lists_the_jobs_hook_runs_and_the_error_of_a_failed_post_hook()
    {
        // Loopback is outside the webhook client's outbound policy here: the post hook fails at once, the job keeps its status.
        var id = await fixture.SubmitAsync(new
        {
            children = 2,
            hooks = new { post = new[] { new { name = "webhook", settings = new { url = "http://127.0.0.1:9/hook", secret = "console-secret" } } } },
        });
        await fixture.WaitForEndAsync(id, JobTimeout);
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/jobs/{id}");
        var page = console.Page;

        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("Completed");
        var row = page.Locator("#job-hooks table tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("webhook");
        await Assertions.Expect(row.Locator("td.hook-status")).ToHaveTextAsync("failed");
        await Assertions.Expect(page.Locator("#job-hook-error")).ToContainTextAsync("post hook 0 'webhook' failed");
        await Assertions.Expect(page.Locator("#job-settings-json")).Not.ToContainTextAsync("console-secret");
        await console.ScreenshotAsync("job-hooks");
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task The_tree_of_a_job_opens_level_by_level_with_the_counts_of_each_subtree()
    {
        var id = await fixture.SubmitAsync(new { children = 3, grandchildren = 2, continuation = true });
        await fixture.WaitForEndAsync(id, JobTimeout);
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/jobs/{id}");
        var page = console.Page;

        // The root opens by itself: its counts are of the whole tree (3 children + 6 grandchildren + the continuation).
        var root = page.Locator("#tree-root > li").First;
        await Assertions.Expect(root.Locator("> .node .counts")).ToContainTextAsync("10 done");
        var level1 = root.Locator("> ul.tree > li[data-node]");
        await Assertions.Expect(level1).Not.ToHaveCountAsync(0);

        // Open a child that spawned grandchildren: its two grandchildren appear, each a leaf.
        var parent = level1.Filter(new() { Has = page.Locator("> .node .counts", new() { HasTextString = "2 done" }) }).First;
        await parent.Locator("> .node button.toggle").ClickAsync();
        var level2 = parent.Locator("> ul.tree > li[data-node]");
        await Assertions.Expect(level2).ToHaveCountAsync(2);
        await Assertions.Expect(level2.First.Locator("> .node .badge")).ToHaveTextAsync("Completed");
        await console.ScreenshotAsync("job-tree");
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task Cancelling_a_running_job_from_its_page_ends_it_Cancelled()
    {
        var id = await fixture.SubmitAsync(new { children = 400, work_ms = 400 });
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/jobs/{id}");
        var page = console.Page;
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ClickAsync("#job-cancel");

        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("Cancelled", new() { Timeout = (float)JobTimeout.TotalMilliseconds });
        Assert.Equal("Cancelled", await fixture.StatusAsync(id));
        await Assertions.Expect(page.Locator("#job-cancel")).ToHaveCountAsync(0);
        await console.ScreenshotAsync("job-cancelled");
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task Retrying_the_failed_children_of_a_job_starts_a_job_that_retries_only_them()
    {
        var id = await fixture.SubmitAsync(new { children = 20, fail_ratio = 0.3 });
        await fixture.WaitForEndAsync(id, JobTimeout);
        var failed = JsonDocument.Parse(await fixture.Api.GetStringAsync($"jobs/{id}")).RootElement.GetProperty("children").GetProperty("failed").GetInt64();
        Assert.True(failed > 0, "fail_ratio 0.3 of 20 children failed none");

        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, $"#/jobs/{id}");
        var page = console.Page;
        await page.ClickAsync("#job-retry");
        await page.WaitForURLAsync(url => url.Contains("#/jobs/") && !url.Contains(id.ToString()), new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#job-retry-of")).ToHaveTextAsync(id.ToString());
        var retry = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);
        await fixture.WaitForEndAsync(retry, JobTimeout);
        var total = JsonDocument.Parse(await fixture.Api.GetStringAsync($"jobs/{retry}")).RootElement.GetProperty("children").GetProperty("total").GetInt64();
        Assert.Equal(failed, total);
        await console.ScreenshotAsync("job-retry");
        ConsoleAssert.NoErrors(console);
    }

    [Fact]
    public async Task The_jobs_list_filters_by_status_and_finds_a_job_by_its_id()
    {
        var id = await fixture.SubmitAsync(new { children = 2 });
        await fixture.WaitForEndAsync(id, JobTimeout);
        await using var console = await ConsolePage.SignInAsync(fixture, fixture.AdminKey, "#/jobs");
        var page = console.Page;

        // The whole id: ids made close together share their first digits (NewId is time-ordered), so a short prefix finds them all.
        await page.FillAsync("#jobs-filters input[name=q]", id.ToString());
        await page.SelectOptionAsync("#jobs-filters select[name=status]", "Completed");
        await page.ClickAsync("#jobs-filters button[type=submit]");
        await page.WaitForURLAsync(url => url.Contains("status=Completed"), new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
        await Assertions.Expect(page.Locator($"#jobs-list tr[data-job='{id}']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#jobs-list tbody tr")).ToHaveCountAsync(1);
        await console.ScreenshotAsync("jobs");
        ConsoleAssert.NoErrors(console);
    }
}
