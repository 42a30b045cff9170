using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Platforms;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;

namespace Jobs.Reporting.Tests;

/// <summary>
/// Keys scoped to platforms (<c>POST /keys {"platforms": [...]}</c>): the fixture's platform is "ours", a second test platform is
/// "theirs". Keys and the second platform live in the shared Redis and are removed when each test ends.
/// </summary>
public sealed class KeyScopeTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>, IAsyncLifetime
{
    private readonly string _theirs = $"test-other-{Guid.NewGuid():N}";
    private readonly List<string> _keys = [];

    private string Ours => reporting.Platform;

    public Task InitializeAsync() => new PlatformCatalog(reporting.Redis).PublishAsync(
        [new PlatformDescriptor(_theirs, "Another test platform", "Published by KeyScopeTests", SettingsSchema.For<TestPlatformSettings>())]);

    public async Task DisposeAsync()
    {
        foreach (var id in _keys) await reporting.Client.DeleteAsync($"/keys/{id}");
        await reporting.Redis.GetDatabase().HashDeleteAsync(PlatformCatalog.Key, _theirs);
    }

    private async Task<string> KeyAsync(HttpClient creator, string role, params string[] platforms)
    {
        var response = await creator.PostAsJsonAsync("/keys", new { name = $"scoped {role}", role, platforms = platforms.Length == 0 ? null : platforms });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        _keys.Add(body.GetProperty("id").GetString()!);
        return body.GetProperty("key").GetString()!;
    }

    private async Task<Guid> SubmitAsync(HttpClient client, string platform)
    {
        var response = await client.PostAsJsonAsync("/jobs", new { platform, settings = new { children = 1 } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        reporting.Track(id);
        return id;
    }

    [Fact]
    public async Task A_key_scoped_to_a_platform_runs_and_reads_its_jobs_and_sees_another_platforms_job_as_404()
    {
        using var scoped = reporting.ClientWith(await KeyAsync(reporting.Client, ApiKeys.Service, Ours));
        using var unscoped = reporting.ClientWith(await KeyAsync(reporting.Client, ApiKeys.Service));
        var mine = await SubmitAsync(scoped, Ours);
        var theirs = await SubmitAsync(reporting.Client, _theirs);

        Assert.Equal(HttpStatusCode.OK, (await scoped.GetAsync($"/jobs/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await scoped.GetAsync($"/jobs/{mine}/status")).StatusCode);
        foreach (var path in new[] { "", "/status", "/tree", "/events" })
        {
            var response = await scoped.GetAsync($"/jobs/{theirs}{path}");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET /jobs/{{theirs}}{path}: {response.StatusCode}");
            // Word for word what an id nobody knows gets: nothing tells the job exists.
            Assert.Equal($"No job with id {theirs}", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await scoped.DeleteAsync($"/jobs/{theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await scoped.PostAsync($"/jobs/{theirs}/retry-failed", null)).StatusCode);
        // The same key without a scope sees it.
        Assert.Equal(HttpStatusCode.OK, (await unscoped.GetAsync($"/jobs/{theirs}")).StatusCode);

        var refused = await scoped.PostAsJsonAsync("/jobs", new { platform = _theirs, settings = new { children = 1 } });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains(_theirs, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Lists_and_the_overview_show_a_scoped_key_only_its_platforms()
    {
        using var scoped = reporting.ClientWith(await KeyAsync(reporting.Client, ApiKeys.User, Ours));
        var rows = new AuditRows(reporting.Postgres);
        var started = DateTimeOffset.UtcNow.AddMinutes(-5);
        var mine = Guid.NewGuid();
        var theirs = Guid.NewGuid();
        await rows.RootAsync(mine, Ours, "Completed", started, started.AddSeconds(3));
        await rows.RootAsync(theirs, _theirs, "Completed", started.AddSeconds(1), started.AddSeconds(4));

        var listed = await scoped.GetFromJsonAsync<JsonElement>("/jobs?pageSize=200");
        var ids = listed.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToList();
        Assert.Contains(mine, ids);
        Assert.DoesNotContain(theirs, ids);
        Assert.All(listed.GetProperty("items").EnumerateArray(), j => Assert.Equal(Ours, j.GetProperty("platform").GetString()));
        // Asking for the other platform by name finds nothing, rather than its jobs.
        Assert.Equal(0, (await scoped.GetFromJsonAsync<JsonElement>($"/jobs?platform={_theirs}")).GetProperty("total").GetInt64());
        var all = await reporting.Client.GetFromJsonAsync<JsonElement>($"/jobs?platform={_theirs}");
        Assert.Contains(theirs, all.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));

        var platforms = (await scoped.GetFromJsonAsync<JsonElement>("/platforms")).EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal([Ours], platforms);

        Assert.Equal(HttpStatusCode.NotFound, (await scoped.GetAsync("/data/movies")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reporting.Client.GetAsync("/data/movies")).StatusCode);
        // The overview: only its platforms' days, running jobs, queues and schedules.
        var overview = await scoped.GetFromJsonAsync<JsonElement>("/overview");
        var days = overview.GetProperty("last24h").EnumerateArray().Select(d => d.GetProperty("platform").GetString()).ToList();
        Assert.Equal([Ours], days);
        Assert.All(overview.GetProperty("running").EnumerateArray(), j => Assert.Equal(Ours, j.GetProperty("platform").GetString()));
        Assert.All(overview.GetProperty("queues").EnumerateArray(), q => Assert.Equal(Ours, q.GetProperty("platform").GetString()));
        Assert.All(overview.GetProperty("nextFires").EnumerateArray(), f => Assert.Equal(Ours, f.GetProperty("platform").GetString()));
        var everything = await reporting.Client.GetFromJsonAsync<JsonElement>("/overview");
        Assert.Contains(_theirs, everything.GetProperty("last24h").EnumerateArray().Select(d => d.GetProperty("platform").GetString()));
    }

    [Fact]
    public async Task The_data_audits_show_a_scoped_key_only_its_platforms_measurements_and_failures()
    {
        using var scoped = reporting.ClientWith(await KeyAsync(reporting.Client, ApiKeys.User, Ours));
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using (var command = reporting.Postgres.CreateCommand("""
            INSERT INTO data_measurements (root_job_id, child_job_id, platform, dataset, subject, value, measured_at, previous_value, audit_failed)
            VALUES (gen_random_uuid(), gen_random_uuid(), $1, 'rows', 'scope-test', 5, $3, 10, true),
                   (gen_random_uuid(), gen_random_uuid(), $2, 'rows', 'scope-test', 5, $3, 10, true)
            """))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Ours });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _theirs });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = at });
            await command.ExecuteNonQueryAsync();
        }

        try
        {
            var seen = await scoped.GetFromJsonAsync<JsonElement>($"/data-audits?from={Uri.EscapeDataString(at.AddSeconds(-1).ToString("O"))}");
            var all = await reporting.Client.GetFromJsonAsync<JsonElement>($"/data-audits?from={Uri.EscapeDataString(at.AddSeconds(-1).ToString("O"))}");

            static List<string> Platforms(JsonElement audits, string part) =>
                [.. audits.GetProperty(part).EnumerateArray().Where(s => s.GetProperty("subject").GetString() == "scope-test").Select(s => s.GetProperty("platform").GetString()!)];
            Assert.Equal([Ours], Platforms(seen, "series"));
            Assert.Equal([Ours], Platforms(seen, "failures"));
            Assert.Equal(new[] { Ours, _theirs }.Order(StringComparer.Ordinal), Platforms(all, "series").Order(StringComparer.Ordinal));
            // Asking for the other platform by name finds nothing.
            Assert.Empty((await scoped.GetFromJsonAsync<JsonElement>($"/data-audits?platform={_theirs}")).GetProperty("series").EnumerateArray());
        }
        finally
        {
            await using var delete = reporting.Postgres.CreateCommand("DELETE FROM data_measurements WHERE subject = 'scope-test'");
            await delete.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_role_limited_to_platforms_scopes_every_key_of_it_and_refuses_a_key_for_another_platform()
    {
        await using var limited = reporting.With(new Dictionary<string, string> { ["Security:RolePlatforms:user:0"] = Ours });
        using var admin = limited.CreateClient();
        admin.DefaultRequestHeaders.Add(ApiKeyAuthentication.Header, reporting.AdminKey);
        async Task<JsonElement> CreateAsync(object request)
        {
            var response = await admin.PostAsJsonAsync("/keys", request);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (response.StatusCode == HttpStatusCode.Created) _keys.Add(body.GetProperty("id").GetString()!);
            return body;
        }

        HttpClient As(JsonElement created)
        {
            var client = limited.CreateClient();
            client.DefaultRequestHeaders.Add(ApiKeyAuthentication.Header, created.GetProperty("key").GetString());
            return client;
        }

        static async Task<List<string?>> PlatformsAsync(HttpClient client) =>
            [.. (await client.GetFromJsonAsync<JsonElement>("/platforms")).EnumerateArray().Select(p => p.GetProperty("name").GetString())];

        // A user key that names no platform sees only the role's; the same key is not limited on a host without the binding.
        var user = await CreateAsync(new { name = "analyst", role = ApiKeys.User });
        using (var analyst = As(user)) Assert.Equal([Ours], await PlatformsAsync(analyst));
        using (var elsewhere = reporting.ClientWith(user.GetProperty("key").GetString())) Assert.Contains(_theirs, await PlatformsAsync(elsewhere));

        // A service key is not limited; the administrator key never is.
        using (var service = As(await CreateAsync(new { name = "service", role = ApiKeys.Service }))) Assert.Contains(_theirs, await PlatformsAsync(service));
        Assert.Contains(_theirs, await PlatformsAsync(admin));

        var refused = await CreateAsync(new { name = "wider", role = ApiKeys.User, platforms = new[] { _theirs } });
        Assert.Equal(400, refused.GetProperty("status").GetInt32());
        Assert.Contains($"Security:RolePlatforms:user", refused.GetProperty("errors").GetProperty("platforms")[0].GetString());
    }

    [Fact]
    public async Task A_role_limited_to_schedule_names_cannot_reach_another_schedule_and_cannot_create_one_by_another_name()
    {
        await using var limited = reporting.With(new Dictionary<string, string>
        {
            ["Security:RoleSchedules:internal:0"] = "reddit-*", ["Security:RoleSchedules:internal:1"] = "nightly-report",
        });
        using var admin = limited.CreateClient();
        admin.DefaultRequestHeaders.Add(ApiKeyAuthentication.Header, reporting.AdminKey);
        var created = await (await admin.PostAsJsonAsync("/keys", new { name = "reddit operator", role = ApiKeys.Internal })).Content.ReadFromJsonAsync<JsonElement>();
        _keys.Add(created.GetProperty("id").GetString()!);
        using var operatorKey = limited.CreateClient();
        operatorKey.DefaultRequestHeaders.Add(ApiKeyAuthentication.Header, created.GetProperty("key").GetString());
        var schedule = new { cron = "0 0 3 * * ?", platform = Ours, settings = new { children = 1 }, enabled = false };

        var refused = await operatorKey.PutAsJsonAsync("/schedules/catalogue-daily", schedule);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("reddit-*", await refused.Content.ReadAsStringAsync());
        foreach (var path in new[] { "/schedules/catalogue-daily/pause", "/schedules/catalogue-daily/trigger", "/schedules/nightly-report-2/resume" })
            Assert.Equal(HttpStatusCode.NotFound, (await operatorKey.PostAsync(path, null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorKey.GetAsync("/schedules/catalogue-daily/backfills")).StatusCode);

        // Names it may use pass on to the Scheduler (none runs in these tests: 503), and so does everything for the administrator key.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await operatorKey.PostAsync("/schedules/reddit-new/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await operatorKey.PostAsync("/schedules/nightly-report/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.PostAsync("/schedules/catalogue-daily/pause", null)).StatusCode);
    }

    [Fact]
    public async Task A_scoped_key_makes_and_sees_only_keys_within_its_scope_and_unknown_platforms_are_refused()
    {
        var unknown = await reporting.Client.PostAsJsonAsync("/keys", new { name = "bad", role = ApiKeys.User, platforms = new[] { "no-such-platform" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("no-such-platform", await unknown.Content.ReadAsStringAsync());
        var empty = await reporting.Client.PostAsJsonAsync("/keys", new { name = "bad", role = ApiKeys.User, platforms = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

        using var manager = reporting.ClientWith(await KeyAsync(reporting.Client, ApiKeys.Internal, Ours));
        var wider = await manager.PostAsJsonAsync("/keys", new { name = "wider", role = ApiKeys.User, platforms = new[] { Ours, _theirs } });
        Assert.Equal(HttpStatusCode.Forbidden, wider.StatusCode);

        // Without platforms, a scoped key's new key gets its scope.
        var created = await (await manager.PostAsJsonAsync("/keys", new { name = "inherits", role = ApiKeys.User })).Content.ReadFromJsonAsync<JsonElement>();
        _keys.Add(created.GetProperty("id").GetString()!);
        Assert.Equal([Ours], created.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()).ToList());
        using var inherited = reporting.ClientWith(created.GetProperty("key").GetString());
        Assert.Equal([Ours], (await inherited.GetFromJsonAsync<JsonElement>("/platforms")).EnumerateArray().Select(p => p.GetProperty("name").GetString()));

        var unscopedId = (await (await reporting.Client.PostAsJsonAsync("/keys", new { name = "everything", role = ApiKeys.User }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        _keys.Add(unscopedId);
        var seen = (await manager.GetFromJsonAsync<JsonElement>("/keys")).EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.Contains(created.GetProperty("id").GetString(), seen);
        Assert.DoesNotContain(unscopedId, seen);
        Assert.Equal(HttpStatusCode.NotFound, (await manager.DeleteAsync($"/keys/{unscopedId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await reporting.Client.DeleteAsync($"/keys/{unscopedId}")).StatusCode);
    }
}
