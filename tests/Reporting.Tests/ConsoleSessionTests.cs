using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Jobs.Reporting.Web;

namespace Jobs.Reporting.Tests;

/// <summary>The console's session over plain HTTP: how a key becomes a cookie, and what a cookie may do without its CSRF token.</summary>
public sealed class ConsoleSessionTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    [Fact]
    public async Task Signing_in_without_a_key_is_a_validation_problem_naming_it()
    {
        using var client = reporting.ClientWith(null);
        var response = await client.PostAsJsonAsync("/session", new { });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("key", out _));
    }

    [Fact]
    public async Task Signing_in_with_an_unknown_key_is_401_and_sets_no_cookie()
    {
        using var client = reporting.ClientWith(null);
        var response = await client.PostAsJsonAsync("/session", new { key = "jk_not-a-key" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Signing_in_from_another_origin_or_as_a_form_post_is_refused()
    {
        using var client = reporting.ClientWith(null);
        var crossSite = new HttpRequestMessage(HttpMethod.Post, "/session") { Content = JsonContent.Create(new { key = reporting.AdminKey }) };
        crossSite.Headers.Add("Origin", "https://evil.example");
        var response = await client.SendAsync(crossSite);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));

        // A cross-site HTML form can only post form encodings, which this endpoint does not read.
        var form = await client.PostAsync("/session", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = reporting.AdminKey }));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
    }

    [Fact]
    public async Task A_session_cookie_reads_the_api_and_its_writes_need_the_session_CSRF_token()
    {
        using var client = reporting.ClientWith(null);
        var signIn = await client.PostAsJsonAsync("/session", new { key = reporting.AdminKey });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(reporting.AdminKey, cookie);
        var session = await signIn.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("internal", session.GetProperty("role").GetString());
        var csrf = session.GetProperty("csrf").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/jobs")).StatusCode);
        var unknownJob = $"/jobs/{Guid.NewGuid()}";
        var withoutToken = await client.DeleteAsync(unknownJob);
        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
        Assert.Contains("CSRF", await withoutToken.Content.ReadAsStringAsync());

        var withToken = new HttpRequestMessage(HttpMethod.Delete, unknownJob);
        withToken.Headers.Add(ConsoleSession.CsrfHeader, csrf);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(withToken)).StatusCode);

        var signOut = new HttpRequestMessage(HttpMethod.Delete, "/session");
        signOut.Headers.Add(ConsoleSession.CsrfHeader, csrf);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(signOut)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/jobs")).StatusCode);
    }

    [Fact]
    public async Task An_api_key_call_needs_no_CSRF_token()
    {
        var response = await reporting.Client.DeleteAsync($"/jobs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_console_is_served_with_its_security_headers_and_without_a_key()
    {
        using var client = reporting.ClientWith(null);
        var page = await client.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ConsoleSecurity.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotMatch("<script>[^<]", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal));

        var script = await client.GetAsync("/console/js/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", script.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_console_scripts_never_write_markup_from_strings()
    {
        using var client = reporting.ClientWith(null);
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot", "console", "js");
        var scripts = Directory.EnumerateFiles(root, "*.js", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(scripts);
        foreach (var file in scripts)
        {
            var text = await File.ReadAllTextAsync(file, Encoding.UTF8);
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function" })
                Assert.False(text.Contains(sink, StringComparison.Ordinal), $"{Path.GetFileName(file)} uses {sink}");
        }
    }
}
