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
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Completed'", id),
            n => n == 1, TimeSpan.FromSeconds(30), "the audited root");
        var audit = new StringBuilder();
        await using (var connection = new NpgsqlConnection(system.AuditDatabase))
        {
            await connection.OpenAsync();
            foreach (var sql in new[]
                     {
                         "SELECT payload::text FROM job_events WHERE root_job_id = $1",
                         "SELECT row_to_json(r)::text FROM root_jobs r WHERE root_job_id = $1",
                         "SELECT row_to_json(c)::text FROM child_jobs c WHERE root_job_id = $1",
                     })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = id });
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync()) audit.AppendLine(reader.GetString(0));
            }
        }

        Assert.Contains("***", audit.ToString());
        Assert.DoesNotContain(secret, audit.ToString());

        var responses = new[]
        {
            submitBody, full, await system.Api.GetStringAsync($"jobs/{id}"), await system.Api.GetStringAsync("jobs?platform=synthetic&pageSize=500"),
            await system.Api.GetStringAsync("platforms"), await system.Api.GetStringAsync("schedules"),
        };
        Assert.All(responses, body => Assert.DoesNotContain(secret, body));
        Assert.All(system.Services, service => Assert.False(service.Output().Contains(secret, StringComparison.Ordinal),
            $"{service.Name} logged the secret"));
    }
}
