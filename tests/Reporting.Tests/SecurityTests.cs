using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Reporting.Security;

namespace Jobs.Reporting.Tests;

/// <remarks>Keys created here live in the shared Redis: every one is revoked when its test ends.</remarks>
public sealed class SecurityTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>, IAsyncLifetime
{
    private readonly List<string> _created = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in _created) await reporting.Client.DeleteAsync($"/keys/{id}");
    }

    private async Task<string> KeyForAsync(string role)
    {
        var response = await reporting.Client.PostAsJsonAsync("/keys", new { name = $"test {role}", role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        _created.Add(body.GetProperty("id").GetString()!);
        return body.GetProperty("key").GetString()!;
    }

    private async Task<HttpStatusCode> CallAsync(HttpClient client, string operation) => operation switch
    {
        "read job" => (await client.GetAsync($"/jobs/{Guid.NewGuid()}")).StatusCode,
        "read platforms" => (await client.GetAsync("/platforms")).StatusCode,
        "run job" => (await client.PostAsJsonAsync("/jobs", new { platform = reporting.Platform, settings = new { } })).StatusCode,
        "cancel job" => (await client.DeleteAsync($"/jobs/{Guid.NewGuid()}")).StatusCode,
        "list keys" => (await client.GetAsync("/keys")).StatusCode,
        "list jobs" => (await client.GetAsync("/jobs")).StatusCode,
        "list schedules" => (await client.GetAsync("/schedules")).StatusCode,
        "change schedule" => (await client.PutAsJsonAsync("/schedules/matrix", new { platform = reporting.Platform })).StatusCode,
        "start backfill" => (await client.PostAsJsonAsync("/schedules/matrix/backfill",
            new { from = DateTimeOffset.UtcNow.AddDays(-1), to = DateTimeOffset.UtcNow, maxConcurrent = 1 })).StatusCode,
        "list backfills" => (await client.GetAsync("/schedules/matrix/backfills")).StatusCode,
        "read backfill" => (await client.GetAsync($"/schedules/matrix/backfills/{Guid.NewGuid()}")).StatusCode,
        "cancel backfill" => (await client.DeleteAsync($"/schedules/matrix/backfills/{Guid.NewGuid()}")).StatusCode,
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public static TheoryData<string, string, HttpStatusCode> Matrix() => new()
    {
        // role, operation, expected (404 = allowed, the job does not exist; 503 = allowed, no Scheduler answers in the tests;
        // 400 = allowed, the schedule lacks its cron). Backfills: started and cancelled by the roles that manage schedules, read by all.
        { ApiKeys.User, "read job", HttpStatusCode.NotFound },
        { ApiKeys.User, "read platforms", HttpStatusCode.OK },
        { ApiKeys.User, "run job", HttpStatusCode.Forbidden },
        { ApiKeys.User, "cancel job", HttpStatusCode.Forbidden },
        { ApiKeys.User, "list keys", HttpStatusCode.Forbidden },
        { ApiKeys.User, "list jobs", HttpStatusCode.OK },
        { ApiKeys.User, "list schedules", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.User, "change schedule", HttpStatusCode.Forbidden },
        { ApiKeys.User, "start backfill", HttpStatusCode.Forbidden },
        { ApiKeys.User, "list backfills", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.User, "read backfill", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.User, "cancel backfill", HttpStatusCode.Forbidden },
        { ApiKeys.Service, "read job", HttpStatusCode.NotFound },
        { ApiKeys.Service, "read platforms", HttpStatusCode.OK },
        { ApiKeys.Service, "run job", HttpStatusCode.Accepted },
        { ApiKeys.Service, "cancel job", HttpStatusCode.NotFound },
        { ApiKeys.Service, "list keys", HttpStatusCode.Forbidden },
        { ApiKeys.Service, "list jobs", HttpStatusCode.OK },
        { ApiKeys.Service, "list schedules", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Service, "change schedule", HttpStatusCode.Forbidden },
        { ApiKeys.Service, "start backfill", HttpStatusCode.Forbidden },
        { ApiKeys.Service, "list backfills", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Service, "read backfill", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Service, "cancel backfill", HttpStatusCode.Forbidden },
        { ApiKeys.Internal, "read job", HttpStatusCode.NotFound },
        { ApiKeys.Internal, "read platforms", HttpStatusCode.OK },
        { ApiKeys.Internal, "run job", HttpStatusCode.Accepted },
        { ApiKeys.Internal, "cancel job", HttpStatusCode.NotFound },
        { ApiKeys.Internal, "list keys", HttpStatusCode.OK },
        { ApiKeys.Internal, "list jobs", HttpStatusCode.OK },
        { ApiKeys.Internal, "list schedules", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Internal, "change schedule", HttpStatusCode.BadRequest },
        { ApiKeys.Internal, "start backfill", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Internal, "list backfills", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Internal, "read backfill", HttpStatusCode.ServiceUnavailable },
        { ApiKeys.Internal, "cancel backfill", HttpStatusCode.ServiceUnavailable },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_role_may_do_what_its_bindings_allow_and_gets_403_otherwise(string role, string operation, HttpStatusCode expected)
    {
        using var client = reporting.ClientWith(await KeyForAsync(role));

        Assert.Equal(expected, await CallAsync(client, operation));
    }

    [Theory]
    [InlineData("read job")]
    [InlineData("run job")]
    [InlineData("list keys")]
    public async Task Without_a_key_or_with_an_unknown_one_every_operation_is_401_problem_details(string operation)
    {
        using var anonymous = reporting.ClientWith(null);
        using var unknown = reporting.ClientWith("not-a-key");

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(anonymous, operation));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(unknown, operation));
        var response = await anonymous.GetAsync("/platforms");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Keys_are_stored_hashed_listed_without_secrets_and_revoked()
    {
        var created = await (await reporting.Client.PostAsJsonAsync("/keys", new { name = "revocable", role = ApiKeys.User }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var key = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString()!;
        _created.Add(id);

        var stored = await reporting.Redis.GetDatabase().HashGetAllAsync(ApiKeys.Key);
        Assert.DoesNotContain(stored, e => e.Name.ToString().Contains(key) || e.Value.ToString().Contains(key));
        Assert.Contains(stored, e => e.Name == ApiKeys.Hash(key));
        var listed = await reporting.Client.GetStringAsync("/keys");
        Assert.Contains(id, listed);
        Assert.DoesNotContain(key, listed);

        Assert.Equal(HttpStatusCode.NoContent, (await reporting.Client.DeleteAsync($"/keys/{id}")).StatusCode);
        using var revoked = reporting.ClientWith(key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.GetAsync("/platforms")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reporting.Client.DeleteAsync($"/keys/{id}")).StatusCode);

        var invalid = await reporting.Client.PostAsJsonAsync("/keys", new { name = "", role = "superuser" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Liveness_health_metrics_and_the_api_description_need_no_key()
    {
        using var anonymous = reporting.ClientWith(null);
        foreach (var path in new[] { "/system/alive", "/health/live", "/metrics", "/openapi/v1.json" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(path)).StatusCode);
    }
}
