using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Jobs.TestSupport;
using Npgsql;

namespace Jobs.EndToEnd.Tests;

[Collection(SystemCollection.Name)]
public sealed class SecretsTests(SystemFixture system)
{
    [Fact]
    public async Task A_secret_setting_reaches_the_integration_but_never_the_logs_the_audit_trail_or_any_api_response()
    {
        var secret = $"s3cr3t-{Guid.NewGuid():N}";
        var submitted = await system.Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children = 3, api_token = secret } });
        var submitBody = await submitted.Content.ReadAsStringAsync();
        Assert.True(submitted.IsSuccessStatusCode, submitBody);
        var id = JsonDocument.Parse(submitBody).RootElement.GetProperty("id").GetGuid();
        var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(1));
        Assert.Equal("Completed", job.GetProperty("status").GetString());

        // It reached the integration: the entry run kept the token's fingerprint.
        var full = await Eventually.Until(() => system.Api.GetStringAsync($"jobs/{id}?full=true"), body => body.Contains("token_sha256"),
            TimeSpan.FromSeconds(10), "the processed dataset");
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), full);

        // Every audit row of the job, once the audit has the finished root.
        var audit = await AuditAsync(id, "Completed");
        Assert.Contains("***", audit);
        Assert.DoesNotContain(secret, audit);

        var responses = new[]
        {
            submitBody, full, await system.Api.GetStringAsync($"jobs/{id}"), await system.Api.GetStringAsync("jobs?platform=synthetic&pageSize=500"),
            await system.Api.GetStringAsync("platforms"), await system.Api.GetStringAsync("schedules"),
        };
        Assert.All(responses, body => Assert.DoesNotContain(secret, body));
        Assert.All(system.Services, service => Assert.False(service.Output().Contains(secret, StringComparison.Ordinal),
            $"{service.Name} logged the secret"));
    }

    [Fact]
    public async Task The_secrets_of_a_rest_job_its_password_client_secret_bearer_token_api_key_and_storage_password_never_leave_the_integration()
    {
        var secrets = Enumerable.Range(0, 5).Select(i => $"r{i}-{Guid.NewGuid():N}").ToArray();
        var fields = new[] { new { name = "id", type = "integer" } };
        // Each fails where the secret is used (loopback is refused by the outbound policy, a job-given database host by the
        // storage targets), which is where an error message or a log line would carry it.
        var jobs = new object[]
        {
            new
            {
                url = "http://127.0.0.1:9/v1/reports", query = new Dictionary<string, string> { ["api_key"] = secrets[0], ["day"] = "{start_date}" },
                start_date = "2026-11-01", end_date = "2026-11-02", window_days = 1,
                auth = new { type = "basic", username = "reports", password = secrets[1] }, records_path = "items", fields, primary_key = new[] { "id" }, table = "e2e_reports",
            },
            new
            {
                url = "http://127.0.0.1:9/v1/cursor", auth = new { type = "bearer", token = secrets[2] }, fields, primary_key = new[] { "id" }, table = "e2e_reports",
            },
            new
            {
                url = "http://127.0.0.1:9/v1/linked", fields, primary_key = new[] { "id" }, table = "e2e_reports",
                auth = new { type = "oauth2", token_url = "http://127.0.0.1:9/oauth/token", client_id = "reports", client_secret = secrets[3] },
            },
            new
            {
                url = "http://127.0.0.1:9/v1/offset", fields, primary_key = new[] { "id" }, table = "e2e_reports",
                storage = new { type = "postgres", settings = new { hostname = "127.0.0.1", db = "jobs", username = "jobs", password = secrets[4] } },
            },
        };

        var bodies = new List<string>();
        var audit = new StringBuilder();
        foreach (var settings in jobs)
        {
            var submitted = await system.Api.PostAsJsonAsync("jobs", new { platform = "rest", settings });
            var submitBody = await submitted.Content.ReadAsStringAsync();
            Assert.True(submitted.IsSuccessStatusCode, submitBody);
            var id = JsonDocument.Parse(submitBody).RootElement.GetProperty("id").GetGuid();
            var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(1));
            // The entry fails (Failed) or its window children do (CompletedWithFailures).
            var status = job.GetProperty("status").GetString()!;
            Assert.Contains(status, new[] { "Failed", "CompletedWithFailures" });
            audit.Append(await AuditAsync(id, status));
            bodies.AddRange([submitBody, await system.Api.GetStringAsync($"jobs/{id}"), await system.Api.GetStringAsync($"jobs/{id}?full=true")]);
        }

        bodies.Add(await system.Api.GetStringAsync("jobs?platform=rest&pageSize=500"));
        Assert.True(audit.ToString().Contains("refused", StringComparison.Ordinal), audit.ToString());
        Assert.Contains("api_key=***", audit.ToString());
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, audit.ToString());
            Assert.All(bodies, body => Assert.DoesNotContain(secret, body));
            Assert.All(system.Services, service => Assert.False(service.Output().Contains(secret, StringComparison.Ordinal),
                $"{service.Name} logged the secret {secret[..2]}"));
        }
    }

    /// <summary>Every audit row of a job (its events, its root, its children), once the audit has the root with that status.</summary>
    private async Task<string> AuditAsync(Guid id, string status)
    {
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = $2", id, status),
            n => n == 1, TimeSpan.FromSeconds(30), "the audited root");
        return await system.AuditRowsAsync(id);
    }
}
