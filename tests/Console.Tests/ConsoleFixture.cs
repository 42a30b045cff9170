extern alias auditor;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.JobTree;
using Jobs.TestSupport;
using Microsoft.Playwright;

namespace Jobs.Console.Tests;

/// <summary>
/// The five services as processes (their own virtual host and audit database) and Debian's Chromium driven by Playwright
/// (launched from <see cref="ChromiumPath"/>; Playwright's own browser download is never used). One instance serves the
/// whole collection; each test opens its own browser context (its own cookies).
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>The system Chromium (<c>CHROMIUM_PATH</c> overrides), installed by infra/install.sh.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public const string Schedule = "console-every-hour";

    private ServiceSystem _system = null!;
    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public Uri BaseAddress => _system["Reporting"].BaseAddress;

    public string AdminKey => _system.AdminKey;

    /// <summary>A key with role <c>user</c>: may read, may not act.</summary>
    public string UserKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _system = await ServiceSystem.StartAsync("console", new Dictionary<string, string>
        {
            ["Schedules__0__Name"] = Schedule,
            ["Schedules__0__Cron"] = "0 0 * * * ?",
            ["Schedules__0__Platform"] = "synthetic",
            ["Schedules__0__Enabled"] = "true",
            ["Schedules__0__Settings__children"] = "2",
            ["Seq__ServerUrl"] = "",
        });
        Api = _system.ApiClient();
        (UserKey, _userKeyId) = await CreateKeyWithIdAsync("console user", "user");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        // Keys live in the shared Redis, not in this system's own stores: the one made here goes with it.
        if (_userKeyId is not null) await Api.DeleteAsync($"keys/{_userKeyId}");
        Api?.Dispose();
        await _system.DisposeAsync();
    }

    public string Diagnostics() => _system.Diagnostics();

    /// <summary>
    /// Records one run of <paramref name="platform"/> (a root whose entry measured <paramref name="figures"/> at <paramref name="at"/>) as
    /// the Auditor does when the outcome arrives, with its own data audits (a drop of more than 20% fails), in this system's audit database.
    /// </summary>
    public async Task<Guid> RecordMeasurementAsync(string platform, DateTimeOffset at, params (string Dataset, string Subject, double Value)[] figures)
    {
        var root = Guid.NewGuid();
        var outcome = new ChildJobOutcome(JobIds.Entry(root), root, root, 0, "entry", true, null, 0, null, 1, at.AddMinutes(-1), at,
            figures.Select(f => new DataMeasurement(f.Dataset, f.Subject, f.Value)).ToList());
        var audits = new auditor::Jobs.Auditor.Audit.DataAudits([new auditor::Jobs.Auditor.Audit.DataAuditRule { Platform = platform, Dataset = "*", MaxDropShare = 0.2 }]);
        await using var postgres = Npgsql.NpgsqlDataSource.Create(_system.AuditDatabase);
        await using var connection = await postgres.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await audits.RecordAsync(connection, new ChildJobsFinished(root, platform, [outcome]));
        await transaction.CommitAsync();
        return root;
    }

    public async Task<string> CreateKeyAsync(string name, string role) => (await CreateKeyWithIdAsync(name, role)).Key;

    private string? _userKeyId;

    private async Task<(string Key, string Id)> CreateKeyWithIdAsync(string name, string role)
    {
        var response = await Api.PostAsJsonAsync("keys", new { name, role });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var created = JsonDocument.Parse(body).RootElement;
        return (created.GetProperty("key").GetString()!, created.GetProperty("id").GetString()!);
    }

    public async Task<Guid> SubmitAsync(object settings, string platform = "synthetic")
    {
        var response = await Api.PostAsJsonAsync("jobs", new { platform, settings });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public async Task<string> StatusAsync(Guid id)
    {
        var response = await Api.GetAsync($"jobs/{id}/status");
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()!
            : "unknown";
    }

    /// <summary>Waits until the job has ended and the audit trail holds its end (the console's lists read the audit trail).</summary>
    public async Task WaitForEndAsync(Guid id, TimeSpan timeout)
    {
        await Eventually.Until(async () =>
        {
            var response = await Api.GetAsync($"jobs/{id}/status?wait=5");
            return response.IsSuccessStatusCode
                ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString()
                : null;
        }, status => status is "Completed" or "CompletedWithFailures" or "Failed" or "Cancelled", timeout, $"the end of job {id}");
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
