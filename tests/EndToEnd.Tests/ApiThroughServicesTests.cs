using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

/// <summary>The parts of the Reporting API that need the other services: schedules, job listing and job details.</summary>
[Collection(SystemCollection.Name)]
public sealed class ApiThroughServicesTests(SystemFixture system)
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement?> ScheduleAsync(string name)
    {
        var list = await JsonAsync(await system.Api.GetAsync("schedules"), HttpStatusCode.OK);
        return list.EnumerateArray().Where(s => s.GetProperty("schedule").GetProperty("name").GetString() == name).Select(s => (JsonElement?)s)
            .FirstOrDefault();
    }

    [Fact]
    public async Task A_key_scoped_to_a_platform_lists_and_manages_only_that_platforms_schedules_and_another_ones_is_404()
    {
        var mine = $"scoped-{Guid.NewGuid():N}"[..20];
        var theirs = $"other-{Guid.NewGuid():N}"[..20];
        var key = await JsonAsync(await system.Api.PostAsJsonAsync("keys", new { name = "synthetic scheduler", role = "internal", platforms = new[] { "synthetic" } }),
            HttpStatusCode.Created);
        using var scoped = new HttpClient { BaseAddress = system.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        scoped.DefaultRequestHeaders.Add("X-Api-Key", key.GetProperty("key").GetString());
        object Schedule(string platform) => new { cron = "0 0 3 * * ?", platform, settings = new { }, enabled = false };
        try
        {
            await JsonAsync(await scoped.PutAsJsonAsync($"schedules/{mine}", Schedule("synthetic")), HttpStatusCode.OK);
            var refused = await JsonAsync(await scoped.PutAsJsonAsync($"schedules/{theirs}", Schedule("catalogue")), HttpStatusCode.Forbidden);
            Assert.Contains("synthetic", refused.GetProperty("detail").GetString());
            await JsonAsync(await system.Api.PutAsJsonAsync($"schedules/{theirs}", Schedule("catalogue")), HttpStatusCode.OK);

            var listed = await JsonAsync(await scoped.GetAsync("schedules"), HttpStatusCode.OK);
            Assert.All(listed.EnumerateArray(), s => Assert.Equal("synthetic", s.GetProperty("schedule").GetProperty("platform").GetString()));
            Assert.Contains(listed.EnumerateArray(), s => s.GetProperty("schedule").GetProperty("name").GetString() == mine);
            Assert.NotNull(await ScheduleAsync(theirs));

            // Another platform's schedule is not there for this key: not to read, replace, run or remove.
            await JsonAsync(await scoped.PutAsJsonAsync($"schedules/{theirs}", Schedule("synthetic")), HttpStatusCode.NotFound);
            foreach (var action in new[] { "pause", "resume", "trigger" })
                await JsonAsync(await scoped.PostAsync($"schedules/{theirs}/{action}", null), HttpStatusCode.NotFound);
            await JsonAsync(await scoped.GetAsync($"schedules/{theirs}/backfills"), HttpStatusCode.NotFound);
            await JsonAsync(await scoped.DeleteAsync($"schedules/{theirs}"), HttpStatusCode.NotFound);
            Assert.Equal("catalogue", (await ScheduleAsync(theirs))!.Value.GetProperty("schedule").GetProperty("platform").GetString());

            await JsonAsync(await scoped.PostAsync($"schedules/{mine}/resume", null), HttpStatusCode.OK);
            await JsonAsync(await scoped.DeleteAsync($"schedules/{mine}"), HttpStatusCode.NoContent);
        }
        finally
        {
            await system.Api.DeleteAsync($"schedules/{mine}");
            await system.Api.DeleteAsync($"schedules/{theirs}");
            await system.Api.DeleteAsync($"keys/{key.GetProperty("id").GetString()}");
        }
    }

    [Fact]
    public async Task Schedules_are_created_listed_triggered_paused_resumed_and_deleted_through_the_api()
    {
        var name = $"api-{Guid.NewGuid():N}"[..20];
        var created = await system.Api.PutAsJsonAsync($"schedules/{name}", new
        {
            cron = "0 0 3 * * ?", timeZone = "Europe/Berlin", platform = "synthetic", settings = new { children = 2 }, misfire = "fire_once_now",
            overlap = "allow", enabled = false,
        });
        await JsonAsync(created, HttpStatusCode.OK);

        var listed = (await ScheduleAsync(name))!.Value;
        Assert.Equal(("Paused", "0 0 3 * * ?", "Europe/Berlin", "fire_once_now"), (listed.GetProperty("state").GetString(),
            listed.GetProperty("schedule").GetProperty("cron").GetString(), listed.GetProperty("schedule").GetProperty("timeZone").GetString(),
            listed.GetProperty("schedule").GetProperty("misfire").GetString()));
        Assert.Equal(2, listed.GetProperty("schedule").GetProperty("settings").GetProperty("children").GetInt32());

        await JsonAsync(await system.Api.PostAsync($"schedules/{name}/trigger", null), HttpStatusCode.OK);
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE schedule = $1 AND status = 'Completed'", name),
            n => n == 1, TimeSpan.FromSeconds(60), "the triggered run to complete");

        await JsonAsync(await system.Api.PostAsync($"schedules/{name}/resume", null), HttpStatusCode.OK);
        Assert.Equal("Normal", (await ScheduleAsync(name))!.Value.GetProperty("state").GetString());
        Assert.True((await ScheduleAsync(name))!.Value.GetProperty("nextFireAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        await JsonAsync(await system.Api.PostAsync($"schedules/{name}/pause", null), HttpStatusCode.OK);
        Assert.Equal("Paused", (await ScheduleAsync(name))!.Value.GetProperty("state").GetString());

        await JsonAsync(await system.Api.DeleteAsync($"schedules/{name}"), HttpStatusCode.NoContent);
        Assert.Null(await ScheduleAsync(name));
        var again = await JsonAsync(await system.Api.DeleteAsync($"schedules/{name}"), HttpStatusCode.NotFound);
        Assert.Contains(name, again.GetProperty("detail").GetString());
        await JsonAsync(await system.Api.PostAsync($"schedules/{name}/trigger", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_schedule_with_a_bad_cron_time_zone_or_settings_is_refused_with_every_reason_and_not_stored()
    {
        var badSettings = await JsonAsync(await system.Api.PutAsJsonAsync("schedules/bad-settings",
            new { cron = "0 * * * * ?", platform = "synthetic", settings = new { children = -1 } }), HttpStatusCode.BadRequest);
        Assert.True(badSettings.GetProperty("errors").TryGetProperty("settings.children", out _), badSettings.ToString());

        var badCron = await JsonAsync(await system.Api.PutAsJsonAsync("schedules/bad-cron",
            new { cron = "every minute", timeZone = "Mars/Olympus", platform = "synthetic", settings = new { } }), HttpStatusCode.BadRequest);
        Assert.Contains("cron: 'every minute'", badCron.GetProperty("detail").GetString());
        Assert.Contains("timeZone: 'Mars/Olympus'", badCron.GetProperty("detail").GetString());

        Assert.Null(await ScheduleAsync("bad-settings"));
        Assert.Null(await ScheduleAsync("bad-cron"));
    }

    [Fact]
    public async Task A_finished_job_is_listed_with_its_generations_and_its_failures_are_paged()
    {
        var id = await system.SubmitAsync(new { children = 20, grandchildren = 1, fail_ratio = 0.3 });
        var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(2));
        var failed = job.GetProperty("children").GetProperty("failed").GetInt64();
        Assert.True(failed > 0, job.ToString());

        // The audit trail catches up after the root has ended: wait for every child's event, not only the failures.
        var total = job.GetProperty("children").GetProperty("total").GetInt64();
        var details = await Eventually.Until(async () => await JsonAsync(await system.Api.GetAsync($"jobs/{id}?failuresPageSize=100"), HttpStatusCode.OK),
            j => j.GetProperty("failures").GetProperty("total").GetInt64() == failed
                && j.GetProperty("generations").EnumerateArray().Sum(g => g.GetProperty("children").GetInt64()) == total,
            TimeSpan.FromSeconds(30), "every child audited");
        Assert.All(details.GetProperty("failures").GetProperty("items").EnumerateArray(),
            f => Assert.Contains("synthetic failure", f.GetProperty("error").GetString()));
        var generations = details.GetProperty("generations").EnumerateArray().ToArray();
        Assert.Equal([1, 2], generations.Select(g => g.GetProperty("generation").GetInt32()));
        Assert.Equal(total, generations.Sum(g => g.GetProperty("children").GetInt64()));
        Assert.Equal(100.0, details.GetProperty("progress").GetProperty("percent").GetDouble());

        // Some children failed and the policy (continue) accepted it: never "Completed".
        Assert.Equal("CompletedWithFailures", job.GetProperty("status").GetString());
        var listed = await Eventually.Until(
            async () => await JsonAsync(await system.Api.GetAsync("jobs?platform=synthetic&status=CompletedWithFailures&pageSize=500"), HttpStatusCode.OK),
            page => page.GetProperty("items").EnumerateArray().Any(j => j.GetProperty("id").GetGuid() == id),
            TimeSpan.FromSeconds(30), "the job listed as CompletedWithFailures");
        Assert.True(listed.GetProperty("total").GetInt64() >= 1);
    }

    [Fact]
    public async Task Retrying_the_failed_children_runs_exactly_those_again_in_a_new_job_linked_to_the_old_one()
    {
        var id = await system.SubmitAsync(new { children = 30, fail_ratio = 0.5 });
        var running = await JsonAsync(await system.Api.PostAsync($"jobs/{id}/retry-failed", null), HttpStatusCode.Conflict);
        Assert.Contains("has not ended", running.GetProperty("title").GetString());
        var job = await system.WaitForEndAsync(id, TimeSpan.FromMinutes(2));
        var failed = job.GetProperty("children").GetProperty("failed").GetInt64();
        Assert.InRange(failed, 1, 29);

        var accepted = await JsonAsync(await system.Api.PostAsync($"jobs/{id}/retry-failed", null), HttpStatusCode.Accepted);
        Assert.Equal(failed, accepted.GetProperty("children").GetInt64());
        var retry = accepted.GetProperty("id").GetGuid();
        var retried = await system.WaitForEndAsync(retry, TimeSpan.FromMinutes(2));

        Assert.Equal(id, retried.GetProperty("retryOf").GetGuid());
        var counts = retried.GetProperty("children");
        Assert.Equal(failed, counts.GetProperty("total").GetInt64());
        Assert.Equal(failed, counts.GetProperty("completed").GetInt64() + counts.GetProperty("failed").GetInt64());
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND task = 'child'", retry),
            n => n == failed, TimeSpan.FromSeconds(30), "the retried children audited");

        var clean = await system.SubmitAsync(new { children = 1 });
        await system.WaitForEndAsync(clean, TimeSpan.FromMinutes(1));
        var nothing = await JsonAsync(await system.Api.PostAsync($"jobs/{clean}/retry-failed", null), HttpStatusCode.Conflict);
        Assert.Equal("Nothing to retry", nothing.GetProperty("title").GetString());
        await JsonAsync(await system.Api.PostAsync($"jobs/{Guid.NewGuid()}/retry-failed", null), HttpStatusCode.NotFound);
    }
}
