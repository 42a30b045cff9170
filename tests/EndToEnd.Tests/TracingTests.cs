using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

/// <summary>
/// The services as processes export their spans over OTLP/HTTP to a receiver inside the test (<see cref="SystemFixture.Traces"/>);
/// a root job, however it was started, is one trace: one root span, every parent present, spans from the Reporting, the Integrator
/// and the Integrations, and the trace id the API shows for the job.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TracingTests(SystemFixture system)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_job_posted_to_the_API_is_one_trace_through_Reporting_Integrator_and_Integrations_and_GET_jobs_returns_its_trace_id()
    {
        // Three generations and a continuation: later generations and the continuation are sent from other deliveries than the first.
        var id = await system.SubmitAsync(new { children = 250, grandchildren = 2, continuation = true });
        var job = await system.WaitForEndAsync(id, JobTimeout);
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        var traceId = await TraceIdOfAsync(id);

        var trace = await WholeTraceAsync(traceId, spans => spans.Any(s => s.Name == "root job end"));

        var root = Assert.Single(trace, s => s.ParentSpanId is null);
        Assert.Equal(("reporting", id.ToString()), (root.Service, root.Attribute("jobs.root_job_id")));
        Assert.Subset(trace.Select(s => s.Service).ToHashSet(), new HashSet<string> { "reporting", "integrator", "integrations" });
        Assert.Contains(trace, s => s.Service == "integrator" && s.Name == "ledger record");
        var end = Assert.Single(trace, s => s.Name == "root job end");
        Assert.Equal("Completed", end.Attribute("jobs.status"));
        // Each span's times as exported (the benchmark's per-hop timeline reads them): the job's end after its submission.
        Assert.All(trace, s => Assert.True(s.StartUnixNano > 0 && s.EndUnixNano >= s.StartUnixNano, $"{s}: {s.StartUnixNano}-{s.EndUnixNano}"));
        Assert.True(end.StartUnixNano > root.StartUnixNano, $"root job end at {end.StartUnixNano}, submitted at {root.StartUnixNano}");
        Assert.Equal(traceId, await AuditedTraceIdAsync(id));
        // The Integrator's log lines of the job carry its trace id.
        Assert.Contains($"trace={traceId}", system["Integrator"].Output());
    }

    [Fact]
    public async Task By_default_a_job_has_a_span_per_batch_carrying_its_child_count_and_no_span_per_child()
    {
        var id = await system.SubmitAsync(new { children = 300 });
        var job = await system.WaitForEndAsync(id, JobTimeout);
        var traceId = await TraceIdOfAsync(id);

        var trace = await WholeTraceAsync(traceId, spans => spans.Any(s => s.Name == "root job end"));

        Assert.DoesNotContain(trace, s => s.Name.StartsWith("child ", StringComparison.Ordinal));
        var batches = trace.Where(s => s.Name == "run batch").ToList();
        // The entry's batch, then 300 children in batches of at most 100.
        Assert.InRange(batches.Count, 4, 20);
        Assert.True(batches.Sum(b => long.Parse(b.Attribute("jobs.children_run")!, System.Globalization.CultureInfo.InvariantCulture)) >= 301,
            string.Join(", ", batches.Select(b => b.Attribute("jobs.children_run"))));
        Assert.All(batches, b => Assert.NotNull(b.Attribute("jobs.children")));
        Assert.True(trace.Count < 300, $"{trace.Count} spans for 300 children");
    }

    [Fact]
    public async Task A_job_started_by_a_schedule_fire_is_one_trace_whose_root_is_the_fire()
    {
        var id = await Eventually.Until(async () =>
            {
                var page = await system.Api.GetFromJsonAsync<JsonElement>($"jobs?schedule={SystemFixture.EverySecondSchedule}&status=Completed&pageSize=1");
                return page.GetProperty("items").EnumerateArray().Select(j => (Guid?)j.GetProperty("id").GetGuid()).FirstOrDefault();
            },
            found => found is not null, TimeSpan.FromSeconds(60), "a completed job of the every-second schedule");
        var traceId = await TraceIdOfAsync(id!.Value);

        var trace = await WholeTraceAsync(traceId, spans => spans.Any(s => s.Name == "root job end"));

        var root = Assert.Single(trace, s => s.ParentSpanId is null);
        Assert.Equal(("scheduler", "schedule fire", SystemFixture.EverySecondSchedule), (root.Service, root.Name, root.Attribute("jobs.schedule")));
        Assert.Subset(trace.Select(s => s.Service).ToHashSet(), new HashSet<string> { "scheduler", "integrator", "integrations" });
    }

    [Fact]
    public async Task A_job_started_by_a_raw_json_jobs_start_message_gets_a_trace_of_its_own()
    {
        var id = Guid.NewGuid();
        Assert.True(await system.PublishStartAsync("""{"platform":"synthetic","settings":{"children":5}}""", id.ToString()));
        var job = await system.WaitForEndAsync(id, JobTimeout);
        var traceId = await TraceIdOfAsync(id);

        var trace = await WholeTraceAsync(traceId, spans => spans.Any(s => s.Name == "root job end"));

        // No trace context came with the message: the Integrator's receive of it begins the trace.
        var root = Assert.Single(trace, s => s.ParentSpanId is null);
        Assert.Equal("integrator", root.Service);
        Assert.Contains(trace, s => s.Service == "integrations" && s.Name == "run batch" && s.Attribute("jobs.root_job_id") == id.ToString());
    }

    [Fact]
    public async Task A_job_cancelled_by_DELETE_ends_in_its_own_trace_with_a_link_to_the_request_that_cancelled_it()
    {
        var id = await system.SubmitAsync(new { children = 20, work_ms = 20_000 });
        await Eventually.Until(() => system.GetJobAsync(id), j => j.GetProperty("children").GetProperty("total").GetInt64() == 20, JobTimeout,
            "the children registered");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await system.Api.DeleteAsync($"jobs/{id}")).StatusCode);
        var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("Cancelled", job.GetProperty("status").GetString());
        var traceId = await TraceIdOfAsync(id);

        var trace = await WholeTraceAsync(traceId, spans => spans.Any(s => s.Name == "root job end"));

        // The cancellation came in another trace (the DELETE request's): the end is still a span of the root's, linked to it.
        Assert.Single(trace, s => s.ParentSpanId is null);
        var end = Assert.Single(trace, s => s.Name == "root job end");
        Assert.Equal("Cancelled", end.Attribute("jobs.status"));
        var link = Assert.Single(end.Links);
        Assert.NotEqual(traceId, link.TraceId);
        var cancelling = await Eventually.Until(() => Task.FromResult(system.Traces.Trace(link.TraceId)),
            spans => spans.Any(s => s.ParentSpanId is null), TimeSpan.FromSeconds(30), "the trace of the DELETE request");
        var request = Assert.Single(cancelling, s => s.ParentSpanId is null);
        Assert.Equal("reporting", request.Service);
        Assert.StartsWith("DELETE", request.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Database_calls_made_outside_any_span_are_not_exported_as_traces_of_their_own()
    {
        // The Scheduler's Quartz store checks in and polls for triggers every few seconds, outside any span.
        await Eventually.Until(() => Task.FromResult(system.Traces.Spans.Count(s => s.Service == "scheduler" && s.Name == "schedule fire")),
            fires => fires >= 3, TimeSpan.FromSeconds(30), "three fires of the every-second schedule");

        Assert.Contains(system.Traces.Spans, s => s.Scope == "Npgsql" && s.ParentSpanId is not null);
        Assert.DoesNotContain(system.Traces.Spans, s => s.Scope == "Npgsql" && s.ParentSpanId is null);
    }

    [Fact]
    public async Task A_service_without_OTEL_EXPORTER_OTLP_ENDPOINT_exports_nothing_yet_the_job_it_audits_has_a_trace_id()
    {
        var id = await system.SubmitAsync(new { children = 2 });
        var job = await system.WaitForEndAsync(id, JobTimeout);
        var traceId = await TraceIdOfAsync(id);
        await WholeTraceAsync(traceId, spans => spans.Any(s => s.Name == "root job end"));

        // The Auditor has OTEL_EXPORTER_OTLP_TRACES_ENDPOINT pointing at the receiver, but not the variable that switches exporting on.
        Assert.DoesNotContain(system.Traces.Spans, s => s.Service == "auditor");
        Assert.Equal(traceId, await AuditedTraceIdAsync(id));
    }

    /// <summary>
    /// The job's <c>traceId</c> (from the audit trail): waited for, since the Auditor records the root's start asynchronously and may
    /// not have yet when the live status already says the job ended.
    /// </summary>
    private async Task<string> TraceIdOfAsync(Guid id)
    {
        var job = await Eventually.Until(() => system.GetJobAsync(id), j => TraceIdIn(j) is not null, TimeSpan.FromSeconds(30), $"the traceId of job {id}");
        var traceId = TraceIdIn(job);
        Assert.True(traceId is { Length: 32 } && traceId.All(Uri.IsHexDigit), $"traceId of {job}");
        return traceId!;
    }

    private static string? TraceIdIn(JsonElement job) =>
        job.TryGetProperty("traceId", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task<string?> AuditedTraceIdAsync(Guid id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(system.AuditDatabase);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT trace_id FROM root_jobs WHERE root_job_id = $1", connection);
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>
    /// The spans of the trace once they have all arrived: <paramref name="complete"/> holds and every span's parent is in the trace
    /// (the exporters send in batches, Redis spans later still). Fails saying which parents are missing.
    /// </summary>
    private async Task<IReadOnlyList<ReceivedSpan>> WholeTraceAsync(string traceId, Func<IReadOnlyList<ReceivedSpan>, bool> complete)
    {
        IReadOnlyList<ReceivedSpan> trace = [];
        try
        {
            return await Eventually.Until(() => Task.FromResult(system.Traces.Trace(traceId)),
                spans => (trace = spans).Count > 0 && complete(spans) && MissingParents(spans).Count == 0, TimeSpan.FromSeconds(45),
                $"the whole trace {traceId}");
        }
        catch (TimeoutException e)
        {
            var missing = MissingParents(trace);
            throw new Xunit.Sdk.XunitException(
                $"trace {traceId}: {trace.Count} spans, {missing.Count} with a parent not in the trace: {string.Join("; ", missing.Take(10))}; " +
                $"roots: {string.Join("; ", trace.Where(s => s.ParentSpanId is null))}; receiver: {system.Traces.Describe()}\n{e.Message}");
        }
    }

    private static List<ReceivedSpan> MissingParents(IReadOnlyList<ReceivedSpan> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        return spans.Where(s => s.ParentSpanId is { } parent && !ids.Contains(parent)).ToList();
    }
}
