using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

[Collection(SystemCollection.Name)]
public sealed class JobLifecycleTests(SystemFixture system)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_job_with_1000_children_and_2_grandchildren_each_counts_3000_exactly_once()
    {
        var id = await system.SubmitAsync(new { children = 1000, grandchildren = 2 });

        var job = await system.WaitForEndAsync(id, JobTimeout);

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        var children = job.GetProperty("children");
        Assert.Equal((3000, 3000, 0), (children.GetProperty("total").GetInt64(), children.GetProperty("completed").GetInt64(), children.GetProperty("failed").GetInt64()));
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("finishedAt").ValueKind);
        var audited = await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation > 0", id),
            n => n >= 3000, TimeSpan.FromSeconds(60), "audit rows of the children");
        Assert.Equal(3000, audited);
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Completed' AND total = 3000", id),
            n => n == 1, TimeSpan.FromSeconds(30), "the audited root job");
    }

    [Fact]
    public async Task A_one_child_job_posted_while_a_big_jobs_batches_fill_the_platform_queue_ends_before_the_big_job_is_half_done()
    {
        // 3,000 children of 100 ms: 30 batches on the bulk queue, far more than the 8 slots and 16 prefetched of an Integrations process,
        // so in one first-in-first-out queue a job posted now would start only once most of them had (some 2,000 children done).
        const int big = 3000;
        var bigId = await system.SubmitAsync(new { children = big, work_ms = 100 });
        await Eventually.Until(() => system.GetJobAsync(bigId), j => j.GetProperty("children").GetProperty("total").GetInt64() == big, JobTimeout,
            "the big job's children registered (its batches sent)");

        var small = await system.SubmitAsync(new { children = 1 });
        var smallJob = await system.WaitForEndAsync(small, JobTimeout);
        var bigThen = await system.GetJobAsync(bigId);

        Assert.Equal("Completed", smallJob.GetProperty("status").GetString());
        Assert.Equal("Running", bigThen.GetProperty("status").GetString());
        var done = bigThen.GetProperty("children").GetProperty("completed").GetInt64();
        Assert.True(done < big / 2, $"the 1-child job ended only after {done} of the big job's {big} children");
        var bigJob = await system.WaitForEndAsync(bigId, JobTimeout);
        Assert.Equal(("Completed", (long)big), (bigJob.GetProperty("status").GetString(), bigJob.GetProperty("children").GetProperty("completed").GetInt64()));
    }

    [Fact]
    public async Task With_fail_ratio_0_1_the_job_ends_CompletedWithFailures_and_the_failed_count_equals_the_failures_the_integration_reported()
    {
        var before = await FailuresReportedAsync();
        var id = await system.SubmitAsync(new { children = 500, grandchildren = 1, fail_ratio = 0.1 });

        var job = await system.WaitForEndAsync(id, JobTimeout);

        Assert.Equal("CompletedWithFailures", job.GetProperty("status").GetString());
        var children = job.GetProperty("children");
        var failed = children.GetProperty("failed").GetInt64();
        var reported = await FailuresReportedAsync() - before;
        Assert.InRange(failed, 40, 160);
        Assert.Equal(reported, failed);
        Assert.Equal(children.GetProperty("total").GetInt64() - failed, children.GetProperty("completed").GetInt64());
        await Eventually.Until(() => system.ScalarAsync(
                "SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'CompletedWithFailures' AND failed = $2", id, failed),
            n => n == 1, TimeSpan.FromSeconds(30), "the audited root job CompletedWithFailures");
        var audited = await Eventually.Until(
            () => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND status = 'Failed'", id),
            n => n >= failed, TimeSpan.FromSeconds(60), "audited failures");
        Assert.Equal(failed, audited);
        // A failed child spawns no grandchild: the total is the 500 children plus one grandchild per successful child.
        var failedChildren = await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND status = 'Failed' AND generation = 1", id);
        Assert.Equal(500 + (500 - failedChildren), children.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task The_integrator_killed_mid_job_and_restarted_completes_with_exactly_2000_counted()
    {
        var id = await system.SubmitAsync(new { children = 2000, work_ms = 150 });
        var progress = await Eventually.Until(() => system.GetJobAsync(id), j => Completed(j) > 0, JobTimeout, "first completions");
        Assert.True(Completed(progress) < 2000, "the job finished before the Integrator could be killed");

        system["Integrator"].Kill();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await system["Integrator"].StartAsync();

        var job = await system.WaitForEndAsync(id, JobTimeout);
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((2000, 2000, 0), Counts(job));
    }

    [Fact]
    public async Task An_integrations_process_killed_mid_job_and_restarted_counts_redelivered_children_once()
    {
        var id = await system.SubmitAsync(new { children = 2000, work_ms = 150 });
        var progress = await Eventually.Until(() => system.GetJobAsync(id), j => Completed(j) > 0, JobTimeout, "first completions");
        Assert.True(Completed(progress) < 2000, "the job finished before the Integrations process could be killed");

        system["Integrations"].Kill();
        await system["Integrations"].StartAsync();

        var job = await system.WaitForEndAsync(id, JobTimeout);
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((2000, 2000, 0), Counts(job));
        var audited = await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation = 1", id),
            n => n >= 2000, TimeSpan.FromSeconds(60), "audit rows");
        Assert.Equal(2000, audited);
    }

    [Fact]
    public async Task Children_of_a_stopped_integration_are_timed_out_and_the_root_reaches_a_final_state()
    {
        var id = await system.SubmitAsync(new { children = 10, work_ms = 4000 });
        var registered = await Eventually.Until(() => system.GetJobAsync(id), j => Counts(j).Item1 == 10, JobTimeout, "the children registered");
        Assert.Equal(0, Completed(registered));

        system["Integrations"].Kill();
        try
        {
            var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(90));

            // Every child failed (timed out) and the policy (continue) accepted it: an end, but never "Completed".
            Assert.Equal("CompletedWithFailures", job.GetProperty("status").GetString());
            Assert.Equal((10, 0, 10), Counts(job));
            var timedOut = await Eventually.Until(
                () => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND status = 'Failed' AND error LIKE 'timed out:%'", id),
                n => n >= 10, TimeSpan.FromSeconds(30), "audited timeouts");
            Assert.Equal(10, timedOut);
        }
        finally
        {
            await system["Integrations"].StartAsync();
        }
    }

    [Fact]
    public async Task Cancelling_a_job_stops_its_running_children_and_starts_none_of_the_queued_ones()
    {
        // 400 children of 20 s each: far more than run at once, so many are still queued when the job is cancelled.
        var id = await system.SubmitAsync(new { children = 400, work_ms = 20_000 });
        await Eventually.Until(() => system.GetJobAsync(id), j => Counts(j).Item1 == 400, JobTimeout, "the children registered");

        var response = await system.Api.DeleteAsync($"jobs/{id}");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);

        var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("Cancelled", job.GetProperty("status").GetString());
        // Every child reports well before its 20 s of work would have ended: running ones were stopped, queued ones skipped.
        var stopped = await Eventually.Until(
            () => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation = 1", id),
            n => n >= 400, TimeSpan.FromSeconds(15), "every child to report");
        Assert.Equal(400, stopped);
        Assert.True(await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND error = 'cancelled while running'", id) > 0);
        Assert.True(await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND error = 'cancelled before it started'", id) > 0);
        Assert.Equal(0, await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND status = 'Completed' AND generation = 1", id));

        var again = await system.Api.DeleteAsync($"jobs/{id}");
        Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await system.Api.DeleteAsync($"jobs/{Guid.NewGuid()}")).StatusCode);
    }

    [Fact]
    public async Task Under_fail_fast_the_first_failed_child_fails_the_job_and_stops_the_children_not_yet_run()
    {
        // 300 children of 100 ms, one in five failing: the first failure ends the job; most children never run.
        var id = await system.SubmitAsync(new { children = 300, work_ms = 100, fail_ratio = 0.2, failure_policy = "fail_fast" });

        var job = await system.WaitForEndAsync(id, JobTimeout);

        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.StartsWith("task 'child' failed (failure policy fail_fast): SyntheticFailureException: synthetic failure", job.GetProperty("error").GetString());
        // The children that were stopped or never started still report, so the counts add up to the 300.
        var counted = await Eventually.Until(() => system.GetJobAsync(id), j => Counts(j).Item2 + Counts(j).Item3 == 300, TimeSpan.FromSeconds(60),
            "every child counted");
        Assert.Equal(300, Counts(counted).Item1);
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation = 1", id),
            n => n == 300, TimeSpan.FromSeconds(30), "every child audited");
        var notRun = await system.ScalarAsync(
            "SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND error IN ('not started: the root job had already failed', 'stopped while running: the root job failed')", id);
        var ownFailures = await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND error LIKE 'SyntheticFailureException%'", id);
        var succeeded = await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation = 1 AND status = 'Completed'", id);
        Assert.Equal(300, notRun + ownFailures + succeeded);
        Assert.True(notRun > 0, $"every child ran: {succeeded} succeeded, {ownFailures} failed");
    }

    [Fact]
    public async Task A_job_with_a_continuation_runs_it_once_after_every_child()
    {
        var id = await system.SubmitAsync(new { children = 50, grandchildren = 2, continuation = true });

        var job = await system.WaitForEndAsync(id, JobTimeout);

        // 50 children + 100 grandchildren + the summary continuation.
        Assert.Equal((151, 151, 0), Counts(job));
        var audited = await Eventually.Until(
            () => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation > 0", id),
            n => n >= 151, TimeSpan.FromSeconds(30), "every child and the continuation audited");
        Assert.Equal(151, audited);
        Assert.Equal(1, await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND task = 'summary'", id));
        var lastChild = await system.ScalarAsync(
            "SELECT (extract(epoch FROM max(finished_at)) * 1000)::bigint FROM child_jobs WHERE root_job_id = $1 AND task <> 'summary' AND generation > 0", id);
        var summaryStart = await system.ScalarAsync(
            "SELECT (extract(epoch FROM started_at) * 1000)::bigint FROM child_jobs WHERE root_job_id = $1 AND task = 'summary'", id);
        Assert.True(summaryStart >= lastChild, "the continuation started before the last child finished");
    }

    [Fact]
    public async Task Invalid_requests_get_problem_details_listing_every_field()
    {
        var response = await system.Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children = -1, fail_ratio = "x", color = "red" } });

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("settings.children", out _));
        Assert.True(errors.TryGetProperty("settings.fail_ratio", out _));
        Assert.True(errors.TryGetProperty("settings.color", out _));

        // Inside typed object settings too, named by their path, before anything is published.
        var nested = await system.Api.PostAsJsonAsync("jobs", new
        {
            platform = "rest",
            settings = new { url = "https://api.example/v1", auth = new { type = "basics" }, fields = new object[] { new { name = "id", typ = "integer" } } },
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, nested.StatusCode);
        var nestedErrors = JsonDocument.Parse(await nested.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(nestedErrors.TryGetProperty("settings.auth.type", out _), nestedErrors.ToString());
        Assert.True(nestedErrors.TryGetProperty("settings.fields[0].typ", out _), nestedErrors.ToString());

        var unknown = await system.Api.PostAsJsonAsync("jobs", new { platform = "nope", settings = new { } });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("unknown platform", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Diagnostics_find_every_dependency_healthy_and_both_synthetic_queues_consumed()
    {
        // The broker's consumer counts come from its statistics, a few seconds behind: right after another test restarted the
        // Integrations process they may still show none, so the report is asked again until both queues show their consumer.
        var report = await Eventually.Until(async () =>
            {
                var response = await system.Api.PostAsync("system/alive", null);
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            }, r => SyntheticQueues(r).All(q => q.GetProperty("ok").GetBoolean()), TimeSpan.FromSeconds(30),
            "a consumer on integration-synthetic and integration-synthetic.interactive in the diagnostics");

        Assert.All(SyntheticQueues(report), q => Assert.True(q.GetProperty("ok").GetBoolean(), q.ToString()));
        Assert.All(report.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("name").GetString()!.StartsWith("queue ", StringComparison.Ordinal)),
            c => Assert.True(c.GetProperty("ok").GetBoolean(), c.ToString()));

        static JsonElement[] SyntheticQueues(JsonElement report) =>
        [
            report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "queue integration-synthetic"),
            report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "queue integration-synthetic.interactive"),
        ];
    }

    [Fact]
    public async Task The_scheduler_fires_its_configured_schedule_and_the_job_completes()
    {
        var completed = await Eventually.Until(
            () => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE schedule = $1 AND status = 'Completed' AND total = 2", SystemFixture.EverySecondSchedule),
            n => n >= 1, TimeSpan.FromSeconds(60), "a completed scheduled job");
        Assert.True(completed >= 1);
    }

    private static long Completed(JsonElement job) =>
        job.TryGetProperty("children", out var c) ? c.GetProperty("completed").GetInt64() : 0;

    private static (long, long, long) Counts(JsonElement job)
    {
        var c = job.GetProperty("children");
        return (c.GetProperty("total").GetInt64(), c.GetProperty("completed").GetInt64(), c.GetProperty("failed").GetInt64());
    }

    private async Task<long> FailuresReportedAsync()
    {
        using var http = new HttpClient { BaseAddress = system["Integrations"].BaseAddress };
        var metrics = await http.GetStringAsync("metrics");
        return metrics.Split('\n')
            .Where(l => l.StartsWith("synthetic_failures_total{", StringComparison.Ordinal))
            .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
