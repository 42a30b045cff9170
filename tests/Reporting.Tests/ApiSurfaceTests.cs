using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Jobs.Reporting.Tests;

public sealed class ApiSurfaceTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    [Fact]
    public async Task A_retried_post_with_the_same_idempotency_key_returns_the_same_job_and_starts_it_once()
    {
        var key = Guid.NewGuid().ToString();
        async Task<(HttpStatusCode, Guid)> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs")
            {
                Content = JsonContent.Create(new { platform = reporting.Platform, settings = new { children = 2 } }),
            };
            request.Headers.Add("Idempotency-Key", key);
            var response = await reporting.Client.SendAsync(request);
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            reporting.Track(id);
            return (response.StatusCode, id);
        }

        var first = await PostAsync();
        var retry = await PostAsync();

        Assert.Equal((HttpStatusCode.Accepted, first.Item2), retry);
        var start = await reporting.StartMessageAsync(first.Item2);
        Assert.Equal(first.Item2, start.GetProperty("rootJobId").GetGuid());
        Assert.Equal(1, reporting.StartMessagesFor(first.Item2));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_job_endpoints_and_the_ui_is_served()
    {
        var document = await reporting.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/jobs", out var jobs) && jobs.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/jobs/{id}", out var job) && job.TryGetProperty("get", out _) && job.TryGetProperty("delete", out _));
        Assert.True(paths.TryGetProperty("/platforms", out _));
        var ui = await reporting.Client.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/jobs/{id}/tree", "GetJobTree")]
    [InlineData("/jobs/{id}/events", "ListJobEvents")]
    [InlineData("/jobs/{id}/events/{eventId}", "GetJobEvent")]
    [InlineData("/jobs/{id}/stream", "StreamJob")]
    [InlineData("/data-audits", "GetDataAudits")]
    [InlineData("/overview", "GetOverview")]
    [InlineData("/overview/stream", "StreamOverview")]
    public async Task The_openapi_document_describes_each_console_endpoint_by_name_and_a_caller_without_a_key_is_refused(string path, string name)
    {
        var document = await reporting.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), path);
        var get = item.GetProperty("get");
        Assert.Equal(name, get.GetProperty("operationId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(get.GetProperty("description").GetString()));
        var concrete = path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal).Replace("{eventId}", "1", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await reporting.ClientWith(null).GetAsync(concrete)).StatusCode);
    }

    [Theory]
    [InlineData("/schedules/{name}/backfill", "post", "StartBackfill")]
    [InlineData("/schedules/{name}/backfills", "get", "ListBackfills")]
    [InlineData("/schedules/{name}/backfills/{id}", "get", "GetBackfill")]
    [InlineData("/schedules/{name}/backfills/{id}", "delete", "CancelBackfill")]
    public async Task The_openapi_document_describes_each_backfill_endpoint_by_name_and_a_caller_without_a_key_is_refused(string path, string method,
        string name)
    {
        var document = await reporting.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), path);
        var operation = item.GetProperty(method);
        Assert.Equal(name, operation.GetProperty("operationId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("description").GetString()));
        var concrete = path.Replace("{name}", "nightly", StringComparison.Ordinal).Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), concrete);
        Assert.Equal(HttpStatusCode.Unauthorized, (await reporting.ClientWith(null).SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Diagnostics_report_each_dependency_with_latency_and_a_queue_without_consumer_as_an_error()
    {
        var report = await (await reporting.Client.PostAsync("/system/alive", null)).Content.ReadFromJsonAsync<JsonElement>();

        var checks = report.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        foreach (var name in new[] { "rabbitmq", "redis", "postgresql", "rabbitmq-management" })
        {
            Assert.True(checks[name].GetProperty("ok").GetBoolean(), $"{name}: {checks[name]}");
            Assert.True(checks[name].GetProperty("latencyMs").GetDouble() >= 0);
        }

        // Nothing consumes the test platform's queue on the test virtual host.
        var queue = checks[$"queue integration-{reporting.Platform}"];
        Assert.False(queue.GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrEmpty(queue.GetProperty("error").GetString()));
        Assert.Equal("degraded", report.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await reporting.ClientWith(null).PostAsync("/system/alive", null)).StatusCode);
    }

    [Fact]
    public async Task Cancelling_an_unknown_job_is_404_and_a_pending_one_is_accepted()
    {
        var unknown = await reporting.Client.DeleteAsync($"/jobs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var response = await reporting.Client.PostAsJsonAsync("/jobs", new { platform = reporting.Platform, settings = new { } });
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        reporting.Track(id);
        var cancel = await reporting.Client.DeleteAsync($"/jobs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
    }
}
