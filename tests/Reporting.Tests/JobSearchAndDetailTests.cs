using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>GET /jobs?q=, the settings and retries of GET /jobs/{id}, and GET /jobs/{id}/events, over audit rows as the Auditor writes them.</summary>
public sealed class JobSearchAndDetailTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 3, 8, 0, 0, TimeSpan.Zero);

    private AuditRows Rows => new(reporting.Postgres);

    private static Task<JsonElement> OkJsonAsync(HttpResponseMessage response) => ApiJson.OkAsync(response);

    /// <summary>Three roots of a platform of their own: the one to find (with settings, an error and a failed child) and two others.</summary>
    private async Task<(string Platform, Guid Target)> SearchableAsync()
    {
        var platform = $"search-{Guid.NewGuid():N}";
        var target = Guid.NewGuid();
        await Rows.RootAsync(target, platform, JobStatus.Failed, T0, T0.AddMinutes(1), settings: """{"query":"Hooked On Hallmark","api_token":"***"}""",
            error: "required task 'listing' failed: Timeout at the vendor");
        var entry = JobIds.Entry(target);
        await Rows.ChildrenAsync(target, entry, 1, [JobIds.Child(entry, 0), JobIds.Child(entry, 1)], i => i == 0 ? "Completed" : "Failed", T0,
            error: i => i == 1 ? "HttpRequestException: page 7 answered 503 ServiceUnavailable" : null);
        await Rows.RootAsync(Guid.NewGuid(), platform, JobStatus.Completed, T0.AddHours(1), T0.AddHours(1), settings: """{"query":"Other"}""");
        await Rows.RootAsync(Guid.NewGuid(), platform, JobStatus.Completed, T0.AddHours(2), T0.AddHours(2));
        return (platform, target);
    }

    private async Task<Guid[]> SearchAsync(string platform, string q) =>
        (await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&q={Uri.EscapeDataString(q)}")))
        .GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToArray();

    [Fact]
    public async Task Searching_by_a_whole_job_id_finds_that_job_only()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, target.ToString()));
        Assert.Equal([target], await SearchAsync(platform, target.ToString("N").ToUpperInvariant()));
    }

    [Fact]
    public async Task Searching_by_a_hex_prefix_of_the_id_in_N_form_finds_the_job()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, target.ToString("N")[..10]));
    }

    [Fact]
    public async Task Searching_by_the_last_digits_of_the_id_as_the_console_shows_them_finds_the_job()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, "…" + target.ToString("N")[^8..]));
        Assert.Equal([target], await SearchAsync(platform, target.ToString("D")[^12..]));
    }

    [Fact]
    public async Task Searching_by_a_prefix_of_the_id_in_D_form_with_its_dashes_finds_the_job()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, target.ToString("D")[..13]));
    }

    [Fact]
    public async Task Searching_by_text_of_the_settings_ignores_case()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, "hooked on HALLMARK"));
    }

    [Fact]
    public async Task Searching_by_text_of_the_roots_error_finds_the_job()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, "timeout AT the vendor"));
    }

    [Fact]
    public async Task Searching_by_text_of_a_childs_error_finds_its_root()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Equal([target], await SearchAsync(platform, "503 serviceunavailable"));
    }

    [Fact]
    public async Task Searching_for_text_nothing_holds_or_a_wildcard_finds_nothing_and_other_filters_still_apply()
    {
        var (platform, target) = await SearchableAsync();
        Assert.Empty(await SearchAsync(platform, "no such words anywhere"));
        Assert.Empty(await SearchAsync(platform, "%"));
        var failedOnly = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&status=Completed&q=Hallmark"));
        Assert.Equal(0, failedOnly.GetProperty("total").GetInt64());
        Assert.Equal(3, (await OkJsonAsync(await reporting.Client.GetAsync($"/jobs?platform={platform}&q="))).GetProperty("total").GetInt64());
        Assert.Equal([target], await SearchAsync(platform, "  hallmark  "));
    }

    [Fact]
    public async Task A_job_shows_the_trace_id_the_audit_trail_recorded_and_none_before_it_is_audited()
    {
        var (id, unaudited) = (Guid.NewGuid(), Guid.NewGuid());
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        foreach (var job in new[] { id, unaudited })
        {
            reporting.Track(job);
            await reporting.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(job), [
                new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, reporting.Platform),
            ]);
        }

        await Rows.RootAsync(id, reporting.Platform, JobStatus.Running, T0, traceId: traceId);

        Assert.Equal(traceId, (await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}"))).GetProperty("traceId").GetString());
        var fresh = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{unaudited}"));
        Assert.True(!fresh.TryGetProperty("traceId", out var none) || none.ValueKind == JsonValueKind.Null, fresh.ToString());
    }

    [Fact]
    public async Task A_job_shows_its_audited_masked_settings_and_the_jobs_that_retried_its_failed_children()
    {
        var (id, retry1, retry2) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        reporting.Track(id);
        await reporting.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(id), [
            new HashEntry(RootJobKeys.Status, JobStatus.CompletedWithFailures), new HashEntry(RootJobKeys.Platform, reporting.Platform),
        ]);
        await Rows.RootAsync(id, reporting.Platform, JobStatus.CompletedWithFailures, T0, T0.AddMinutes(3), settings: """{"query":"lamps","api_token":"***"}""");
        await Rows.EventAsync(retry1, nameof(RootJobStarted), $$"""{"rootJobId":"{{retry1}}","platform":"p","retryOf":"{{id}}"}""", T0.AddHours(1));
        await Rows.EventAsync(retry2, nameof(RootJobStarted), $$"""{"rootJobId":"{{retry2}}","platform":"p","retryOf":"{{id}}"}""", T0.AddHours(2));
        await Rows.EventAsync(Guid.NewGuid(), nameof(RootJobStarted), $$"""{"rootJobId":"{{Guid.NewGuid()}}","platform":"p"}""", T0.AddHours(3));

        var job = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}"));

        Assert.Equal(("lamps", "***"), (job.GetProperty("settings").GetProperty("query").GetString(), job.GetProperty("settings").GetProperty("api_token").GetString()));
        Assert.Equal([retry1, retry2], job.GetProperty("retries").EnumerateArray().Select(r => r.GetGuid()));

        var unaudited = Guid.NewGuid();
        reporting.Track(unaudited);
        await reporting.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(unaudited), [
            new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, reporting.Platform),
        ]);
        var fresh = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{unaudited}"));
        Assert.Equal(JsonValueKind.Null, fresh.GetProperty("settings").ValueKind);
        Assert.Empty(fresh.GetProperty("retries").EnumerateArray());
    }

    [Fact]
    public async Task A_jobs_events_are_listed_oldest_first_and_paged()
    {
        var id = Guid.NewGuid();
        await Rows.RootAsync(id, reporting.Platform, JobStatus.Completed, T0, T0.AddMinutes(1));
        // Stored out of order: the list follows the time they arrived.
        await Rows.EventAsync(id, nameof(RootJobCompleted), $$"""{"rootJobId":"{{id}}"}""", T0.AddMinutes(1));
        await Rows.EventAsync(id, nameof(RootJobStarted), $$"""{"rootJobId":"{{id}}","platform":"p"}""", T0);
        await Rows.EventAsync(id, nameof(ChildJobsFinished), $$"""{"rootJobId":"{{id}}","outcomes":[]}""", T0.AddSeconds(30));

        var first = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}/events?pageSize=2"));
        var second = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}/events?page=2&pageSize=2"));

        Assert.Equal(3, first.GetProperty("total").GetInt64());
        var items = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).ToList();
        Assert.Equal([nameof(RootJobStarted), nameof(ChildJobsFinished), nameof(RootJobCompleted)], items.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal([T0, T0.AddSeconds(30), T0.AddMinutes(1)], items.Select(e => e.GetProperty("receivedAt").GetDateTimeOffset()));
        Assert.Equal("p", items[0].GetProperty("payload").GetProperty("platform").GetString());
        Assert.Equal(0, items[1].GetProperty("outcomes").GetInt32());
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("outcomes").ValueKind);
        Assert.Equal((2, 2), (second.GetProperty("page").GetInt32(), second.GetProperty("pageSize").GetInt32()));
    }

    [Fact]
    public async Task A_large_event_is_listed_by_its_size_and_read_whole_by_its_id()
    {
        var id = Guid.NewGuid();
        await Rows.RootAsync(id, reporting.Platform, JobStatus.Completed, T0, T0.AddMinutes(1));
        var outcomes = string.Join(",", Enumerable.Range(0, 200).Select(_ => $$"""{"childJobId":"{{Guid.NewGuid()}}","succeeded":true}"""));
        await Rows.EventAsync(id, nameof(ChildJobsFinished), $$"""{"rootJobId":"{{id}}","outcomes":[{{outcomes}}]}""", T0);

        var listed = (await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}/events"))).GetProperty("items")[0];
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("payload").ValueKind);
        Assert.Equal(200, listed.GetProperty("outcomes").GetInt32());
        Assert.True(listed.GetProperty("bytes").GetInt32() > 2048);

        var eventId = listed.GetProperty("id").GetInt64();
        var whole = await OkJsonAsync(await reporting.Client.GetAsync($"/jobs/{id}/events/{eventId}"));
        Assert.Equal(200, whole.GetProperty("payload").GetProperty("outcomes").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/events/{eventId}")).StatusCode);
    }

    [Fact]
    public async Task The_events_of_an_unknown_job_are_404_and_a_bad_page_is_400_naming_it()
    {
        var unknown = await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/events");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var bad = await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/events?page=0&pageSize=201");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["page", "pageSize"], errors.EnumerateObject().Select(p => p.Name).Order());
    }
}
