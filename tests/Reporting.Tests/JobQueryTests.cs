using Jobs.Integrator.ReadModel;
using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>GET /jobs and the audit-backed parts of GET /jobs/{id}, over audit rows written as the Auditor writes them.</summary>
public sealed class JobQueryTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    private async Task InsertRootAsync(Guid id, string platform, string status, string? schedule, DateTimeOffset startedAt, long total = 0, long completed = 0,
        long failed = 0)
    {
        await using var command = reporting.Postgres.CreateCommand("""
            INSERT INTO root_jobs (root_job_id, platform, schedule, status, total, completed, failed, started_at, finished_at, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $4 IN ('Completed', 'Failed') THEN $8 + interval '90 seconds' END,
                    CASE WHEN $4 = 'Failed' THEN 'too many failures' END)
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = platform });
        command.Parameters.Add(new() { Value = (object?)schedule ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = total });
        command.Parameters.Add(new() { Value = completed });
        command.Parameters.Add(new() { Value = failed });
        command.Parameters.Add(new() { Value = startedAt });
        await command.ExecuteNonQueryAsync();
    }

    private async Task InsertChildAsync(Guid root, int index, int generation, bool failed, DateTimeOffset finishedAt)
    {
        await using var command = reporting.Postgres.CreateCommand("""
            INSERT INTO child_jobs (child_job_id, root_job_id, parent_job_id, generation, task, status, error, attempts, started_at, finished_at,
              group_id, spawned, has_continuation)
            VALUES ($1, $2, $3, $4, 'child', $5, $6, 2, $7 - interval '1 second', $7, $2, 0, false)
            """);
        command.Parameters.Add(new() { Value = JobIds.Child(JobIds.Entry(root), index) });
        command.Parameters.Add(new() { Value = root });
        command.Parameters.Add(new() { Value = JobIds.Entry(root) });
        command.Parameters.Add(new() { Value = generation });
        command.Parameters.Add(new() { Value = failed ? "Failed" : "Completed" });
        command.Parameters.Add(new() { Value = failed ? $"HttpRequestException: page {index} answered 500" : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = finishedAt });
        await command.ExecuteNonQueryAsync();
    }

    private static Task<JsonElement> OkJsonAsync(HttpResponseMessage response) => ApiJson.OkAsync(response);

    private static Guid[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToArray();

    [Fact]
    public async Task When_listing_jobs_Should_filter_by_platform_status_schedule_and_start_time_newest_first_and_page()
    {
        var platform = $"list-{Guid.NewGuid():N}";
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await InsertRootAsync(a, platform, JobStatus.Completed, "nightly", T0, 3, 3, 0);
        await InsertRootAsync(b, platform, JobStatus.Failed, null, T0.AddHours(1), 3, 1, 2);
        await InsertRootAsync(c, platform, JobStatus.Running, "nightly", T0.AddHours(2), 3, 0, 0);
        await InsertRootAsync(Guid.NewGuid(), $"other-{Guid.NewGuid():N}", JobStatus.Completed, "nightly", T0);

        var all = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}"));
        Assert.Equal([c, b, a], Ids(all));
        Assert.Equal(3, all.GetProperty("total").GetInt64());
        var failed = all.GetProperty("items")[1];
        Assert.Equal(("Failed", "too many failures", 90_000L), (failed.GetProperty("status").GetString(), failed.GetProperty("error").GetString(),
            failed.GetProperty("durationMs").GetInt64()));
        Assert.Equal((3L, 1L, 2L), (failed.GetProperty("children").GetProperty("total").GetInt64(),
            failed.GetProperty("children").GetProperty("completed").GetInt64(), failed.GetProperty("children").GetProperty("failed").GetInt64()));

        Assert.Equal([b], Ids(await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&status=Failed"))));
        Assert.Equal([c, a], Ids(await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&schedule=nightly"))));
        var from = Uri.EscapeDataString(T0.AddMinutes(30).ToString("O"));
        var to = Uri.EscapeDataString(T0.AddHours(2).ToString("O"));
        Assert.Equal([b], Ids(await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&from={from}&to={to}"))));

        var second = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&page=2&pageSize=2"));
        Assert.Equal([a], Ids(second));
        Assert.Equal((2, 2, 3L), (second.GetProperty("page").GetInt32(), second.GetProperty("pageSize").GetInt32(), second.GetProperty("total").GetInt64()));
    }

    [Fact]
    public async Task When_listing_jobs_by_status_CompletedWithFailures_Should_return_only_those_with_their_counts()
    {
        var platform = $"list-{Guid.NewGuid():N}";
        var (clean, partial) = (Guid.NewGuid(), Guid.NewGuid());
        await InsertRootAsync(clean, platform, JobStatus.Completed, null, T0, 3, 3, 0);
        await InsertRootAsync(partial, platform, JobStatus.CompletedWithFailures, null, T0.AddHours(1), 10, 7, 3);

        var page = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&status=CompletedWithFailures"));

        Assert.Equal([partial], Ids(page));
        var children = page.GetProperty("items")[0].GetProperty("children");
        Assert.Equal((10L, 7L, 3L), (children.GetProperty("total").GetInt64(), children.GetProperty("completed").GetInt64(),
            children.GetProperty("failed").GetInt64()));
        Assert.Equal([clean], Ids(await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&status=Completed"))));
    }

    [Fact]
    public async Task When_the_job_query_is_invalid_Should_answer_400_naming_every_bad_parameter()
    {
        var response = await reporting.Client.GetAsync("/jobs?page=0&pageSize=1000&status=Bogus&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["page", "pageSize", "status", "to"], errors.EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains("Completed, CompletedWithFailures, Failed, Cancelled", errors.GetProperty("status")[0].GetString());
    }

    [Fact]
    public async Task When_a_date_filter_is_not_a_date_Should_answer_400_problem_details()
    {
        var response = await reporting.Client.GetAsync("/jobs?from=last-tuesday");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task When_getting_a_job_Should_show_progress_generation_timing_and_paged_failures_and_datasets_only_when_full()
    {
        var id = Guid.NewGuid();
        reporting.Track(id);
        var db = reporting.Redis.GetDatabase();
        await db.HashSetAsync(RootJobKeys.Key(id), [
            new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, reporting.Platform),
            new HashEntry(RootJobKeys.Total, 4), new HashEntry(RootJobKeys.Completed, 2), new HashEntry(RootJobKeys.Failed, 1),
        ]);
        await db.HashSetAsync(RunKeys.ProgressKey(id), [
            new HashEntry(RunKeys.ProgressRows, 1234), new HashEntry(RunKeys.ProgressMessage, "page 7 of 9"),
            new HashEntry(RunKeys.ProgressAt, T0.AddMinutes(5).ToString("O")),
        ]);
        var child = JobIds.Child(JobIds.Entry(id), 0);
        await db.HashSetAsync(RunKeys.DatasetsKey(id), $"{child:N}/original", """[{"sku":"A1"}]""");
        try
        {
            await InsertRootAsync(id, reporting.Platform, JobStatus.Running, null, T0, 4, 2, 1);
            await InsertChildAsync(id, 0, 1, failed: false, T0.AddSeconds(10));
            await InsertChildAsync(id, 1, 1, failed: true, T0.AddSeconds(20));
            await InsertChildAsync(id, 2, 2, failed: true, T0.AddSeconds(30));

            var job = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}?failuresPageSize=1"));

            var progress = job.GetProperty("progress");
            Assert.Equal((75.0, "page 7 of 9", 1234L), (progress.GetProperty("percent").GetDouble(), progress.GetProperty("message").GetString(),
                progress.GetProperty("rows").GetInt64()));
            var generations = job.GetProperty("generations").EnumerateArray().ToArray();
            Assert.Equal([1, 2], generations.Select(g => g.GetProperty("generation").GetInt32()));
            Assert.Equal([2L, 1L], generations.Select(g => g.GetProperty("children").GetInt64()));
            Assert.Equal([1L, 1L], generations.Select(g => g.GetProperty("failed").GetInt64()));
            Assert.Equal([20.0, 30.0], generations.Select(g => g.GetProperty("secondsFromStart").GetDouble()));
            var failures = job.GetProperty("failures");
            Assert.Equal(2, failures.GetProperty("total").GetInt64());
            var first = Assert.Single(failures.GetProperty("items").EnumerateArray());
            Assert.Equal((JobIds.Child(JobIds.Entry(id), 1), "HttpRequestException: page 1 answered 500", 2),
                (first.GetProperty("childJobId").GetGuid(), first.GetProperty("error").GetString(), first.GetProperty("attempts").GetInt32()));
            Assert.Equal(JsonValueKind.Null, job.GetProperty("datasets").ValueKind);

            var brief = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}/status"));
            Assert.Equal(("Running", 4L, 2L, 1L), (brief.GetProperty("status").GetString(), brief.GetProperty("children").GetProperty("total").GetInt64(),
                brief.GetProperty("children").GetProperty("completed").GetInt64(), brief.GetProperty("children").GetProperty("failed").GetInt64()));
            Assert.False(brief.TryGetProperty("progress", out _));
            Assert.Equal(HttpStatusCode.NotFound, (await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/status")).StatusCode);

            var secondPage = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}?failuresPage=2&failuresPageSize=1"));
            Assert.Equal(JobIds.Child(JobIds.Entry(id), 2), secondPage.GetProperty("failures").GetProperty("items")[0].GetProperty("childJobId").GetGuid());

            var full = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}?full=true"));
            var dataset = Assert.Single(full.GetProperty("datasets").EnumerateArray());
            Assert.Equal((child, "original", "A1"), (dataset.GetProperty("jobId").GetGuid(), dataset.GetProperty("name").GetString(),
                dataset.GetProperty("data")[0].GetProperty("sku").GetString()));
        }
        finally
        {
            await db.KeyDeleteAsync([RunKeys.ProgressKey(id), RunKeys.DatasetsKey(id)]);
        }
    }
}
