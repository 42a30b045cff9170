using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Reporting;

namespace Jobs.Reporting.Tests;

public sealed class ReportingApiTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private const string ProblemJson = "application/problem+json";

    private HttpClient Client => reporting.Client;

    private async Task<(HttpResponseMessage Response, JsonElement Body)> PostJobAsync(object request)
    {
        var response = await Client.PostAsJsonAsync("/jobs", request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<Guid> SubmitAsync(object request)
    {
        var (response, body) = await PostJobAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        var id = body.GetProperty("id").GetGuid();
        reporting.Track(id);
        return id;
    }

    private static IReadOnlyDictionary<string, string[]> Errors(JsonElement problem) =>
        problem.GetProperty("errors").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray());

    [Fact]
    public async Task When_a_valid_job_is_posted_Should_accept_it_show_it_pending_and_send_the_start_command_with_defaults_filled()
    {
        var (response, body) = await PostJobAsync(new { platform = reporting.Platform, settings = new { children = 5 }, minSuccessPercent = 80 });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = body.GetProperty("id").GetGuid();
        reporting.Track(id);
        Assert.NotEqual(Guid.Empty, id);
        Assert.Equal($"/jobs/{id}", response.Headers.Location?.OriginalString);

        var job = await Client.GetFromJsonAsync<JsonElement>($"/jobs/{id}");
        Assert.Equal(id, job.GetProperty("id").GetGuid());
        Assert.Equal(JobStatus.Pending, job.GetProperty("status").GetString());
        Assert.Equal(reporting.Platform, job.GetProperty("platform").GetString());
        var children = job.GetProperty("children");
        Assert.Equal((0, 0, 0), (children.GetProperty("total").GetInt64(), children.GetProperty("completed").GetInt64(),
            children.GetProperty("failed").GetInt64()));
        Assert.Equal(JsonValueKind.Null, job.GetProperty("startedAt").ValueKind);

        var start = await reporting.StartMessageAsync(id);
        Assert.Equal(reporting.Platform, start.GetProperty("platform").GetString());
        Assert.Equal(80, start.GetProperty("minSuccessPercent").GetDouble());
        var settings = start.GetProperty("settings");
        Assert.Equal(5, settings.GetProperty("children").GetInt32());
        Assert.Equal(0, settings.GetProperty("grandchildren").GetInt32());
        Assert.Equal(0, settings.GetProperty("work_ms").GetInt32());
        Assert.Equal(0, settings.GetProperty("fail_ratio").GetDouble());
        Assert.False(settings.GetProperty("continuation").GetBoolean());
    }

    [Fact]
    public async Task A_job_naming_a_defined_hook_is_sent_with_the_hooks_settings_defaults_filled_in_and_GET_hooks_lists_it()
    {
        var id = await SubmitAsync(new { platform = reporting.Platform, settings = new { hooks = new { pre = new[] { new { name = reporting.Hook, settings = new { minutes = 5 } } } } } });

        var hook = (await reporting.StartMessageAsync(id)).GetProperty("settings").GetProperty("hooks").GetProperty("pre")[0];
        Assert.Equal(reporting.Hook, hook.GetProperty("name").GetString());
        Assert.Equal((5, "strict"), (hook.GetProperty("settings").GetProperty("minutes").GetInt32(), hook.GetProperty("settings").GetProperty("mode").GetString()));
        var listed = JsonDocument.Parse(await reporting.Client.GetStringAsync("/hooks")).RootElement.EnumerateArray()
            .Single(h => h.GetProperty("name").GetString() == reporting.Hook);
        Assert.Equal(["pre"], listed.GetProperty("phases").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["minutes", "mode"], listed.GetProperty("settings").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task When_a_job_is_posted_without_settings_Should_send_every_default()
    {
        var id = await SubmitAsync(new { platform = reporting.Platform });

        var settings = (await reporting.StartMessageAsync(id)).GetProperty("settings");

        Assert.Equal(
            ["children", "grandchildren", "work_ms", "fail_ratio", "continuation"],
            settings.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, settings.GetProperty("children").GetInt32());
    }

    [Fact]
    public async Task When_two_jobs_are_posted_Should_give_each_its_own_id()
    {
        var first = await SubmitAsync(new { platform = reporting.Platform });
        var second = await SubmitAsync(new { platform = reporting.Platform });

        Assert.NotEqual(first, second);
        Assert.Equal(second, (await reporting.StartMessageAsync(second)).GetProperty("rootJobId").GetGuid());
        Assert.Equal(first, (await reporting.StartMessageAsync(first)).GetProperty("rootJobId").GetGuid());
    }

    [Fact]
    public async Task When_the_platform_is_unknown_Should_answer_400_problem_listing_the_known_platforms()
    {
        var (response, problem) = await PostJobAsync(new { platform = "no-such-platform", settings = new { children = 1 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        var error = Assert.Single(Errors(problem)["platform"]);
        Assert.Contains("no-such-platform", error);
        Assert.Contains(reporting.Platform, error);
    }

    [Fact]
    public async Task When_the_platform_is_missing_Should_answer_400_saying_it_is_required()
    {
        var (response, problem) = await PostJobAsync(new { settings = new { children = 1 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["is required"], Errors(problem)["platform"]);
    }

    [Fact]
    public async Task When_several_settings_are_invalid_Should_answer_400_listing_each_of_them()
    {
        var (response, problem) = await PostJobAsync(new
        {
            platform = reporting.Platform,
            settings = new Dictionary<string, object> { ["children"] = -1, ["work_ms"] = "x", ["colour"] = "red" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        var errors = Errors(problem);
        Assert.Equal(["settings.children", "settings.colour", "settings.work_ms"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["must be at least 0"], errors["settings.children"]);
        Assert.Equal(["must be a whole number"], errors["settings.work_ms"]);
        Assert.Contains("settings.children", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task When_settings_are_not_an_object_Should_answer_400_under_settings()
    {
        var (response, problem) = await PostJobAsync(new { platform = reporting.Platform, settings = new[] { 1, 2 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("settings", Assert.Single(Errors(problem)).Key);
    }

    [Theory]
    [InlineData(150)]
    [InlineData(-1)]
    public async Task When_min_success_percent_is_outside_0_to_100_Should_answer_400(double percent)
    {
        var (response, problem) = await PostJobAsync(new { platform = reporting.Platform, minSuccessPercent = percent });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["must be between 0 and 100"], Assert.Single(Errors(problem)).Value);
        Assert.Equal("minSuccessPercent", Assert.Single(Errors(problem)).Key);
    }

    [Theory]
    [InlineData("{\"platform\": ")]
    [InlineData("{\"platform\": 12}")]
    [InlineData("not json")]
    public async Task When_the_body_is_not_a_valid_request_Should_answer_400(string body)
    {
        var response = await Client.PostAsync("/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task When_a_job_does_not_exist_Should_answer_404_problem()
    {
        var id = Guid.NewGuid();

        var response = await Client.GetAsync($"/jobs/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Contains(id.ToString(), problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task When_listing_platforms_Should_include_the_test_platform_with_its_settings_schema()
    {
        var platforms = await Client.GetFromJsonAsync<JsonElement>("/platforms");

        var platform = Assert.Single(platforms.EnumerateArray(), p => p.GetProperty("name").GetString() == reporting.Platform);
        Assert.Equal("Test platform", platform.GetProperty("displayName").GetString());
        var settings = platform.GetProperty("settings").EnumerateArray().ToList();
        Assert.Equal(["children", "grandchildren", "work_ms", "fail_ratio", "continuation", "since", "api_token", "filter", "hooks"],
            settings.Select(s => s.GetProperty("name").GetString()));
        var children = settings[0];
        Assert.Equal("integer", children.GetProperty("type").GetString());
        Assert.Equal(3, children.GetProperty("default").GetInt32());
        Assert.Equal(0, children.GetProperty("minimum").GetDouble());
        Assert.Equal(1_000_000, children.GetProperty("maximum").GetDouble());
        Assert.Equal("number", settings[3].GetProperty("type").GetString());
        Assert.Equal(1, settings[3].GetProperty("maximum").GetDouble());
        Assert.Equal("date", settings[5].GetProperty("type").GetString());
        Assert.True(settings[6].GetProperty("secret").GetBoolean());
        // Where an object setting holds regular expressions: checked at submit for the linear engine.
        Assert.Equal(["rules[].pattern"], settings[7].GetProperty("regularExpressions").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task When_probing_liveness_Should_answer_200()
    {
        var response = await Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task When_probing_readiness_Should_answer_200_with_redis_and_the_bus_healthy()
    {
        var response = await Client.GetAsync("/health/ready");
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(response.StatusCode == HttpStatusCode.OK, report.GetRawText());
        Assert.Equal("Healthy", report.GetProperty("status").GetString());
        var checks = report.GetProperty("checks").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["redis"]);
        var bus = Assert.Single(checks, c => c.Key.StartsWith("masstransit", StringComparison.Ordinal));
        Assert.Equal("Healthy", bus.Value);
    }
}
