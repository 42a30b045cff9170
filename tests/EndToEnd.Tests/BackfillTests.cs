using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.JobTree;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

/// <summary>Backfills of a schedule through the API, run by the five services: synthetic jobs, one per hourly interval.</summary>
[Collection(SystemCollection.Name)]
public sealed class BackfillTests(SystemFixture system)
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A paused hourly schedule in Europe/Berlin: only its backfills start jobs.</summary>
    private async Task<string> CreateScheduleAsync(object settings)
    {
        var name = $"bf-{Guid.NewGuid():N}"[..20];
        await JsonAsync(await system.Api.PutAsJsonAsync($"schedules/{name}", new
        {
            cron = "0 0 * * * ?", timeZone = "Europe/Berlin", platform = "synthetic", settings, misfire = "skip", overlap = "skip", enabled = false,
        }), HttpStatusCode.OK);
        return name;
    }

    /// <summary>Midnight in Berlin <paramref name="daysBack"/> days ago.</summary>
    private static DateTimeOffset Midnight(int daysBack)
    {
        var today = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Berlin).Date.AddDays(-daysBack);
        return new DateTimeOffset(today, Berlin.GetUtcOffset(today));
    }

    private Task<JsonElement> BackfillAsync(string name, Guid id) =>
        system.Api.GetAsync($"schedules/{name}/backfills/{id}").ContinueWith(t => JsonAsync(t.Result, HttpStatusCode.OK)).Unwrap();

    private static string Iso(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_backfill_of_24_hourly_intervals_starts_24_jobs_each_with_its_interval_never_more_than_max_concurrent_at_once_and_again_none()
    {
        var name = await CreateScheduleAsync(new { children = 1, work_ms = 300, note = "{interval_start}/{interval_end}" });
        var from = Midnight(2);

        var accepted = await JsonAsync(await system.Api.PostAsJsonAsync($"schedules/{name}/backfill",
            new { from, to = from.AddHours(24), maxConcurrent = 3 }), HttpStatusCode.Accepted);
        var id = accepted.GetProperty("id").GetGuid();
        Assert.Equal(24, accepted.GetProperty("counts").GetProperty("total").GetInt32());
        var detail = await BackfillAsync(name, id);
        var jobs = detail.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(24, jobs.Count);
        var ids = jobs.Select(j => j.GetProperty("rootJobId").GetGuid()).ToList();
        Assert.Equal(ids.Select((_, h) => JobIds.ForSchedule(name, from.AddHours(h + 1))), ids);

        // Every half second: how many of the 24 the Integrator has running (not ended) now.
        var most = 0;
        await Eventually.Until(async () =>
        {
            var statuses = await Task.WhenAll(ids.Select(async job =>
            {
                var response = await system.Api.GetAsync($"jobs/{job}/status");
                return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() : null;
            }));
            most = Math.Max(most, statuses.Count(s => s is not null && !JobStatus.HasEnded(s)));
            await Task.Delay(400);
            return statuses;
        }, statuses => statuses.All(s => s == JobStatus.Completed), TimeSpan.FromMinutes(3), $"the 24 jobs of backfill {id} to complete");
        Assert.InRange(most, 0, 3);

        detail = await Eventually.Until(() => BackfillAsync(name, id), b => b.GetProperty("status").GetString() == BackfillStatus.Completed,
            TimeSpan.FromSeconds(30), "the backfill to be completed");
        foreach (var (job, hour) in detail.GetProperty("jobs").EnumerateArray().Select((j, h) => (j, h)))
        {
            var start = TimeZoneInfo.ConvertTime(from.AddHours(hour), Berlin);
            Assert.Equal((start, start.AddHours(1), JobStatus.Completed, false), (job.GetProperty("intervalStart").GetDateTimeOffset(),
                job.GetProperty("intervalEnd").GetDateTimeOffset(), job.GetProperty("status").GetString(), job.GetProperty("alreadyRun").GetBoolean()));
            // GET /jobs/{id} shows the settings the job ran with: its own interval.
            var shown = await Eventually.Until(() => system.GetJobAsync(ids[hour]),
                j => j.TryGetProperty("settings", out var s) && s.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30), "the audited settings");
            Assert.Equal($"{Iso(start)}/{Iso(start.AddHours(1))}", shown.GetProperty("settings").GetProperty("note").GetString());
            Assert.Equal(name, shown.GetProperty("schedule").GetString());
        }

        // The same range again: every interval had its run, no job starts.
        var again = await JsonAsync(await system.Api.PostAsJsonAsync($"schedules/{name}/backfill",
            new { from, to = from.AddHours(24), maxConcurrent = 3 }), HttpStatusCode.Accepted);
        var repeated = await BackfillAsync(name, again.GetProperty("id").GetGuid());
        Assert.Equal(BackfillStatus.Completed, repeated.GetProperty("status").GetString());
        Assert.Equal(24, repeated.GetProperty("counts").GetProperty("alreadyRun").GetInt32());
        Assert.All(repeated.GetProperty("jobs").EnumerateArray(), j => Assert.True(j.GetProperty("alreadyRun").GetBoolean()));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(24, await system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE schedule = $1", name));

        var listed = await JsonAsync(await system.Api.GetAsync($"schedules/{name}/backfills"), HttpStatusCode.OK);
        Assert.Equal([again.GetProperty("id").GetGuid(), id], listed.EnumerateArray().Select(b => b.GetProperty("id").GetGuid()));
        await JsonAsync(await system.Api.DeleteAsync($"schedules/{name}"), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_cancelled_backfill_starts_no_further_job_and_its_running_job_is_cancelled()
    {
        var name = await CreateScheduleAsync(new { children = 1, work_ms = 60_000 });
        var from = Midnight(3);
        var accepted = await JsonAsync(await system.Api.PostAsJsonAsync($"schedules/{name}/backfill",
            new { from, to = from.AddHours(5), maxConcurrent = 1 }), HttpStatusCode.Accepted);
        var id = accepted.GetProperty("id").GetGuid();
        var first = (await BackfillAsync(name, id)).GetProperty("jobs")[0].GetProperty("rootJobId").GetGuid();
        await Eventually.Until(() => system.GetJobAsync(first), j => j.GetProperty("status").GetString() == JobStatus.Running, TimeSpan.FromSeconds(60),
            "the first job to run");

        var cancelled = await JsonAsync(await system.Api.DeleteAsync($"schedules/{name}/backfills/{id}"), HttpStatusCode.Accepted);

        Assert.Equal(BackfillStatus.Cancelled, cancelled.GetProperty("status").GetString());
        Assert.Equal(4, cancelled.GetProperty("counts").GetProperty("notStarted").GetInt32());
        var job = await system.WaitForEndAsync(first, TimeSpan.FromSeconds(60));
        Assert.Equal(JobStatus.Cancelled, job.GetProperty("status").GetString());
        var detail = await Eventually.Until(() => BackfillAsync(name, id), b => b.GetProperty("jobs")[0].GetProperty("status").GetString() == JobStatus.Cancelled,
            TimeSpan.FromSeconds(30), "the cancelled job's end recorded");
        Assert.Equal([JobStatus.Cancelled, "NotStarted", "NotStarted", "NotStarted", "NotStarted"],
            detail.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("status").GetString()));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE schedule = $1", name));
        await JsonAsync(await system.Api.DeleteAsync($"schedules/{name}/backfills/{id}"), HttpStatusCode.Accepted); // again: nothing changes
    }

    [Fact]
    public async Task A_bad_backfill_is_refused_with_400_saying_why_and_one_of_an_unknown_schedule_or_backfill_with_404()
    {
        var name = await CreateScheduleAsync(new { children = 1 });
        var from = Midnight(1);
        async Task<JsonElement> RefusedAsync(string schedule, object body, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            await JsonAsync(await system.Api.PostAsJsonAsync($"schedules/{schedule}/backfill", body), status);

        var backwards = await RefusedAsync(name, new { from, to = from.AddHours(-1), maxConcurrent = 0 });
        Assert.Contains("later than from", backwards.GetProperty("errors").GetProperty("to")[0].GetString());
        Assert.Contains("between 1 and 100", backwards.GetProperty("errors").GetProperty("maxConcurrent")[0].GetString());
        var future = await RefusedAsync(name, new { from, to = DateTimeOffset.UtcNow.AddDays(1) });
        Assert.Contains("future", future.GetProperty("errors").GetProperty("to")[0].GetString());
        var empty = await RefusedAsync(name, new { from = from.AddMinutes(10), to = from.AddMinutes(50) });
        Assert.Contains("no interval", empty.GetProperty("errors").GetProperty("from")[0].GetString());
        // The fixture's schedule fires every second: a day is 86,400 intervals.
        var huge = await RefusedAsync(SystemFixture.EverySecondSchedule, new { from, to = from.AddDays(1), maxConcurrent = 5 });
        Assert.Contains("more than 10,000 intervals", huge.GetProperty("errors").GetProperty("to")[0].GetString());

        var unknown = await RefusedAsync("no-such-schedule", new { from, to = from.AddHours(1) }, HttpStatusCode.NotFound);
        Assert.Contains("no-such-schedule", unknown.GetProperty("detail").GetString());
        await JsonAsync(await system.Api.GetAsync($"schedules/{name}/backfills/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await JsonAsync(await system.Api.GetAsync("schedules/no-such-schedule/backfills"), HttpStatusCode.NotFound);
        Assert.Equal(0, (await JsonAsync(await system.Api.GetAsync($"schedules/{name}/backfills"), HttpStatusCode.OK)).GetArrayLength());
        await JsonAsync(await system.Api.DeleteAsync($"schedules/{name}"), HttpStatusCode.NoContent);
    }
}
