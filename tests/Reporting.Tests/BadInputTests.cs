using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Jobs.Reporting.Tests;

/// <summary>Every kind of bad request to POST /jobs: a 4xx problem with a useful message, nothing published, the service still healthy.</summary>
public sealed class BadInputTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    public static TheoryData<string, string, HttpStatusCode, string> Cases() => new()
    {
        // case, body ({platform} is replaced by the test platform), expected status, text the problem must contain
        { "malformed JSON", """{"platform": "{platform}", "settings": {"children": 3""", HttpStatusCode.BadRequest, "Path: $.settings" },
        { "not JSON at all", "children=3", HttpStatusCode.BadRequest, "is an invalid start of a value" },
        { "wrong type of the request", """{"platform": 12}""", HttpStatusCode.BadRequest, "$.platform" },
        { "wrong type of a setting", """{"platform": "{platform}", "settings": {"children": "many"}}""", HttpStatusCode.BadRequest, "settings.children" },
        { "unknown platform", """{"platform": "no-such-platform"}""", HttpStatusCode.BadRequest, "no-such-platform" },
        { "unknown request field", """{"platform": "{platform}", "setings": {}}""", HttpStatusCode.BadRequest, "setings" },
        { "unknown setting", """{"platform": "{platform}", "settings": {"colour": "red"}}""", HttpStatusCode.BadRequest, "settings.colour" },
        { "invalid relative date", """{"platform": "{platform}", "settings": {"since": "next blue moon"}}""", HttpStatusCode.BadRequest, "settings.since" },
        { "negative count", """{"platform": "{platform}", "settings": {"children": -5}}""", HttpStatusCode.BadRequest, "settings.children" },
        { "fraction for a count", """{"platform": "{platform}", "settings": {"children": 2.5}}""", HttpStatusCode.BadRequest, "settings.children" },
        { "a pattern that cannot run in linear time", """{"platform": "{platform}", "settings": {"filter": {"rules": [{"pattern": "ok"}, {"pattern": "(a+)\\1"}]}}}""",
            HttpStatusCode.BadRequest, "settings.filter.rules[1].pattern" },
        { "an undefined hook", """{"platform": "{platform}", "settings": {"hooks": {"post": [{"name": "no-such-hook"}]}}}""", HttpStatusCode.BadRequest,
            "settings.hooks.post[0].name" },
        { "a hook in a phase it does not run in", """{"platform": "{platform}", "settings": {"hooks": {"post": [{"name": "{hook}", "settings": {"minutes": 5}}]}}}""",
            HttpStatusCode.BadRequest, "runs only as a pre hook" },
        { "a hook's setting outside its schema", """{"platform": "{platform}", "settings": {"hooks": {"pre": [{"name": "{hook}", "settings": {"minutes": 500}}]}}}""",
            HttpStatusCode.BadRequest, "settings.hooks.pre[0].settings.minutes" },
        { "a hook without its required setting", """{"platform": "{platform}", "settings": {"hooks": {"pre": [{"name": "{hook}"}]}}}""",
            HttpStatusCode.BadRequest, "settings.hooks.pre[0].settings.minutes" },
        { "an unknown hook phase", """{"platform": "{platform}", "settings": {"hooks": {"after": []}}}""", HttpStatusCode.BadRequest, "settings.hooks.after" },
        { "a hook entry without a name", """{"platform": "{platform}", "settings": {"hooks": {"pre": [{"settings": {}}]}}}""", HttpStatusCode.BadRequest,
            "settings.hooks.pre[0].name" },
        { "settings not an object", """{"platform": "{platform}", "settings": [1, 2]}""", HttpStatusCode.BadRequest, "settings" },
        { "huge body", """{"platform": "{platform}", "settings": {"api_token": "{huge}"}}""", HttpStatusCode.RequestEntityTooLarge, "at most" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_job_request_is_refused_with_a_problem_that_says_why_and_nothing_is_published(string name, string body,
        HttpStatusCode expected, string mentions)
    {
        var json = body.Replace("{platform}", reporting.Platform).Replace("{hook}", reporting.Hook).Replace("{huge}", new string('x', 2 * (int)RequestLimits.DefaultMaxBytes));
        var marker = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", marker);

        var response = await reporting.Client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{name}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentions, text);
        Assert.DoesNotContain("   at ", text); // no stack trace
        using var problem = JsonDocument.Parse(text);
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
        // Nothing started: the idempotency key was never claimed, and the service still answers.
        Assert.False(await reporting.Redis.GetDatabase().KeyExistsAsync(
            "idempotency:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(marker)))));
        Assert.Equal(HttpStatusCode.OK, (await reporting.Client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task After_every_bad_request_no_start_message_was_published()
    {
        foreach (var (_, body, _, _) in Cases().Select(c => ((string)c[0], (string)c[1], (HttpStatusCode)c[2], (string)c[3])))
            await reporting.Client.PostAsync("/jobs", new StringContent(body.Replace("{platform}", reporting.Platform).Replace("{hook}", reporting.Hook).Replace("{huge}", new string('x', 2 << 20)),
                Encoding.UTF8, "application/json"));
        var good = await reporting.Client.PostAsJsonAsync("/jobs", new { platform = reporting.Platform });
        var id = (await good.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        reporting.Track(id);

        await reporting.StartMessageAsync(id);
        Assert.Equal(1, reporting.StartMessagesRead);
    }
}
