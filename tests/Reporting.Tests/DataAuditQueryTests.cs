extern alias auditor;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using auditor::Jobs.Auditor.Audit;
using Jobs.Contracts;
using Jobs.JobTree;

namespace Jobs.Reporting.Tests;

/// <summary>GET /data-audits over measurements recorded by the Auditor's own data audits (its rule: a drop of more than 20% fails).</summary>
public sealed class DataAuditQueryTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 5, 6, 0, 0, TimeSpan.Zero);

    /// <summary>Records one run (a root with one child that measured the figures) as the Auditor does when its outcome arrives.</summary>
    private async Task<Guid> RunAsync(string platform, int day, params (string Dataset, string Subject, double Value)[] figures)
    {
        var root = Guid.NewGuid();
        var entry = JobIds.Entry(root);
        var outcome = new ChildJobOutcome(entry, root, root, 0, "entry", true, null, 0, null, 1, T0.AddDays(day), T0.AddDays(day).AddMinutes(1),
            figures.Select(f => new DataMeasurement(f.Dataset, f.Subject, f.Value)).ToList());
        var audits = new auditor::Jobs.Auditor.Audit.DataAudits([new DataAuditRule { Platform = platform, Dataset = "*", MaxDropShare = 0.2 }]);
        await using var connection = await reporting.Postgres.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await audits.RecordAsync(connection, new ChildJobsFinished(root, platform, [outcome]));
        await transaction.CommitAsync();
        return root;
    }

    private static Task<JsonElement> OkJsonAsync(HttpResponseMessage response) => ApiJson.OkAsync(response);

    [Fact]
    public async Task The_data_audits_show_each_series_oldest_first_with_the_value_compared_and_the_failed_audits_newest_first()
    {
        var platform = $"audits-{Guid.NewGuid():N}";
        var first = await RunAsync(platform, 0, ("products", "acme", 1000), ("products", "globex", 500), ("prices", "acme", 10));
        // acme's products drop 25% (fails), globex's 10% (passes).
        var second = await RunAsync(platform, 1, ("products", "acme", 750), ("products", "globex", 450), ("prices", "acme", 10));
        // acme's products drop from 750 to 500: 33% (fails again).
        var third = await RunAsync(platform, 2, ("products", "acme", 500), ("products", "globex", 450));

        var audits = await OkJsonAsync(await reporting.Client.GetAsync($"/data-audits?platform={platform}"));

        var series = audits.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal([("prices", "acme"), ("products", "acme"), ("products", "globex")],
            series.Select(s => (s.GetProperty("dataset").GetString(), s.GetProperty("subject").GetString())));
        Assert.All(series, s => Assert.Equal(platform, s.GetProperty("platform").GetString()));
        var acme = series[1].GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([first, second, third], acme.Select(p => p.GetProperty("rootJobId").GetGuid()));
        Assert.Equal([1000.0, 750.0, 500.0], acme.Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal([JsonValueKind.Null, JsonValueKind.Number, JsonValueKind.Number], acme.Select(p => p.GetProperty("previousValue").ValueKind));
        Assert.Equal([false, true, true], acme.Select(p => p.GetProperty("auditFailed").GetBoolean()));
        Assert.Equal(T0.AddDays(1).AddMinutes(1), acme[1].GetProperty("measuredAt").GetDateTimeOffset());

        var failures = audits.GetProperty("failures").EnumerateArray().ToList();
        Assert.Equal([third, second], failures.Select(f => f.GetProperty("rootJobId").GetGuid()));
        Assert.Equal((platform, "products", "acme", 500.0, 750.0), (failures[0].GetProperty("platform").GetString(), failures[0].GetProperty("dataset").GetString(),
            failures[0].GetProperty("subject").GetString(), failures[0].GetProperty("value").GetDouble(), failures[0].GetProperty("previousValue").GetDouble()));

        var from = Uri.EscapeDataString(T0.AddDays(1).ToString("O"));
        var to = Uri.EscapeDataString(T0.AddDays(2).ToString("O"));
        var narrowed = await OkJsonAsync(await reporting.Client.GetAsync($"/data-audits?platform={platform}&dataset=products&from={from}&to={to}"));
        Assert.Equal([second, second], narrowed.GetProperty("series").EnumerateArray()
            .SelectMany(s => s.GetProperty("points").EnumerateArray()).Select(p => p.GetProperty("rootJobId").GetGuid()));
        Assert.Equal([second], narrowed.GetProperty("failures").EnumerateArray().Select(f => f.GetProperty("rootJobId").GetGuid()));
    }

    [Fact]
    public async Task A_data_audit_query_whose_end_is_not_after_its_start_is_400_naming_to()
    {
        var response = await reporting.Client.GetAsync("/data-audits?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["to"], errors.EnumerateObject().Select(p => p.Name));
    }
}
