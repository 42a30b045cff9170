using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Jobs.TestSupport;

/// <summary>A report row the fake API serves.</summary>
public sealed record Report(long Id, DateOnly Day, string Name, decimal Amount, DateTimeOffset UpdatedAt);

/// <summary>A request the fake API received.</summary>
public sealed record ReportRequest(DateTimeOffset At, string Method, string Path, IReadOnlyDictionary<string, string> Query, string? Authorization, string? Body);

/// <summary>
/// A report API on loopback (real HTTP) in the shapes such APIs have: page numbers with basic auth (<c>/v1/reports</c>), a
/// cursor with a static bearer token (<c>/v1/cursor</c>), a Link header with OAuth client-credentials tokens (<c>/v1/linked</c>),
/// offsets without auth (<c>/v1/offset</c>). Every listing filters by <c>from</c>/<c>to</c> (days, inclusive) and <c>since</c>
/// (updated after), ordered by id. Scripted answers (a 429, a malformed page) replace the next matching request's.
/// </summary>
public sealed class FakeReportApi : IAsyncDisposable
{
    public const string User = "reporter";
    public const string Password = "hunter2-report";
    public const string StaticToken = "static-bearer-token";
    public const string ClientId = "report-client";
    public const string ClientSecret = "report-client-secret";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReportRequest> _requests = new();
    private readonly ConcurrentQueue<Func<ReportRequest, (int Status, string Body, Dictionary<string, string>? Headers)?>> _scripts = new();
    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private readonly List<Report> _reports = [];
    private readonly Dictionary<(DateOnly From, DateOnly To, DateTimeOffset Since), (int Version, List<Report> Reports)> _filtered = [];
    private int _version;
    private int _tokensIssued;

    private FakeReportApi()
    {
        _app = LoopbackHttp.Create();
        _app.MapPost("/oauth/token", TokenAsync);
        _app.MapGet("/v1/reports", http => ListAsync(http, Reports));
        _app.MapPost("/v1/reports", http => ListAsync(http, Reports));
        _app.MapGet("/v1/cursor", http => ListAsync(http, Cursor));
        _app.MapGet("/v1/linked", http => ListAsync(http, Linked));
        _app.MapGet("/v1/offset", http => ListAsync(http, Offset));
    }

    public Uri BaseUri { get; private set; } = null!;

    public Uri TokenUri => new(BaseUri, "oauth/token");

    public int TokensIssued => _tokensIssued;

    public IReadOnlyList<ReportRequest> Requests => [.. _requests];

    public IReadOnlyList<ReportRequest> Listings => [.. _requests.Where(r => r.Path.StartsWith("/v1/", StringComparison.Ordinal))];

    public static async Task<FakeReportApi> StartAsync()
    {
        var api = new FakeReportApi();
        api.BaseUri = await LoopbackHttp.StartAsync(api._app);
        return api;
    }

    /// <summary>Adds <paramref name="count"/> reports per day of <paramref name="from"/>..<paramref name="to"/>, updated at noon of their day.</summary>
    public IReadOnlyList<Report> Add(DateOnly from, DateOnly to, int count)
    {
        var added = new List<Report>();
        lock (_reports)
        {
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                for (var i = 0; i < count; i++)
                {
                    var id = _reports.Count + 1;
                    var report = new Report(id, day, $"report {id}", 10m + id + 0.25m, new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero).AddMinutes(i));
                    _reports.Add(report);
                    added.Add(report);
                    _version++;
                }
            }
        }

        return added;
    }

    /// <summary>Replaces report <paramref name="id"/> (an update the API shows from now on).</summary>
    public void Update(long id, Func<Report, Report> change)
    {
        lock (_reports)
        {
            _reports[(int)id - 1] = change(_reports[(int)id - 1]);
            _version++;
        }
    }

    /// <summary>The next request <paramref name="script"/> answers (non-null) gets that answer instead of the API's.</summary>
    public void Script(Func<ReportRequest, (int Status, string Body, Dictionary<string, string>? Headers)?> script) => _scripts.Enqueue(script);

    /// <summary>Every OAuth token issued so far stops working (as a revocation does).</summary>
    public void RevokeTokens() => _tokens.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static JsonObject Json(Report r) => new()
    {
        ["id"] = r.Id,
        ["day"] = r.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["attributes"] = new JsonObject { ["name"] = r.Name, ["tags"] = new JsonArray("daily", $"d{r.Day.Day}") },
        // Amounts as strings, as many report APIs send money.
        ["amount"] = r.Amount.ToString(CultureInfo.InvariantCulture),
        ["updated_at"] = r.UpdatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };

    private List<Report> Filtered(ReportRequest request)
    {
        var from = request.Query.TryGetValue("from", out var f) ? DateOnly.Parse(f, CultureInfo.InvariantCulture) : DateOnly.MinValue;
        var to = request.Query.TryGetValue("to", out var t) ? DateOnly.Parse(t, CultureInfo.InvariantCulture) : DateOnly.MaxValue;
        var since = request.Query.TryGetValue("since", out var s) ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
        lock (_reports)
        {
            // Pages of one listing ask the same filter: computed once per change of the reports (the benchmark's 100,000 rows).
            if (_filtered.TryGetValue((from, to, since), out var cached) && cached.Version == _version) return cached.Reports;
            List<Report> reports = [.. _reports.Where(r => r.Day >= from && r.Day <= to && r.UpdatedAt > since).OrderBy(r => r.Id)];
            _filtered[(from, to, since)] = (_version, reports);
            return reports;
        }
    }

    private async Task ListAsync(HttpContext http, Func<HttpContext, ReportRequest, Task> answer)
    {
        var body = http.Request.Method == "POST" ? await new StreamReader(http.Request.Body).ReadToEndAsync() : null;
        var request = new ReportRequest(DateTimeOffset.UtcNow, http.Request.Method, http.Request.Path.Value!,
            http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()), http.Request.Headers.Authorization.FirstOrDefault(), body);
        _requests.Enqueue(request);
        foreach (var _ in _scripts.ToArray())
        {
            if (!_scripts.TryDequeue(out var script)) break;
            if (script(request) is { } scripted)
            {
                http.Response.StatusCode = scripted.Status;
                foreach (var (name, value) in scripted.Headers ?? []) http.Response.Headers[name] = value;
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(scripted.Body);
                return;
            }

            _scripts.Enqueue(script);
        }

        await answer(http, request);
    }

    private static async Task Unauthorized(HttpContext http)
    {
        http.Response.StatusCode = 401;
        await http.Response.WriteAsync("""{"error":"unauthorized"}""");
    }

    private static int Int(ReportRequest request, string name, int fallback) =>
        request.Query.TryGetValue(name, out var value) && int.TryParse(value, CultureInfo.InvariantCulture, out var number) ? number : fallback;

    /// <summary>Page numbers from 1, <c>per_page</c> records; basic auth; <c>{"data":{"items":[…]},"meta":{"total":n}}</c>.</summary>
    private async Task Reports(HttpContext http, ReportRequest request)
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
        if (request.Authorization != basic)
        {
            await Unauthorized(http);
            return;
        }

        var all = Filtered(request);
        var size = Int(request, "per_page", 10);
        var page = Int(request, "page", 1);
        var items = new JsonArray([.. all.Skip((page - 1) * size).Take(size).Select(Json)]);
        await http.Response.WriteAsJsonAsync(new JsonObject { ["data"] = new JsonObject { ["items"] = items }, ["meta"] = new JsonObject { ["total"] = all.Count } });
    }

    /// <summary>A cursor (the last id) in <c>next_cursor</c>, null at the end; a static bearer token.</summary>
    private async Task Cursor(HttpContext http, ReportRequest request)
    {
        if (request.Authorization != $"Bearer {StaticToken}")
        {
            await Unauthorized(http);
            return;
        }

        var after = request.Query.TryGetValue("cursor", out var c) ? long.Parse(c, CultureInfo.InvariantCulture) : 0;
        var size = Int(request, "limit", 10);
        var rest = Filtered(request).Where(r => r.Id > after).ToList();
        var page = rest.Take(size).ToList();
        await http.Response.WriteAsJsonAsync(new JsonObject
        {
            ["results"] = new JsonArray([.. page.Select(Json)]),
            ["next_cursor"] = rest.Count > size ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null,
        });
    }

    /// <summary>A bare array; the next page in the <c>Link</c> header; OAuth tokens of <see cref="TokenAsync"/>.</summary>
    private async Task Linked(HttpContext http, ReportRequest request)
    {
        if (request.Authorization is not { } a || !a.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.ContainsKey(a["Bearer ".Length..]))
        {
            await Unauthorized(http);
            return;
        }

        var after = Int(request, "after", 0);
        var size = Int(request, "limit", 10);
        var rest = Filtered(request).Where(r => r.Id > after).ToList();
        var page = rest.Take(size).ToList();
        if (rest.Count > size)
        {
            var next = new Dictionary<string, string>(request.Query) { ["after"] = page[^1].Id.ToString(CultureInfo.InvariantCulture) };
            var query = string.Join("&", next.Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value)}"));
            http.Response.Headers["Link"] = $"<{request.Path}?{query}>; rel=\"next\", </v1/linked>; rel=\"first\"";
        }

        await http.Response.WriteAsJsonAsync(new JsonArray([.. page.Select(Json)]));
    }

    /// <summary>Offsets and limits, no auth: <c>{"items":[…]}</c>.</summary>
    private async Task Offset(HttpContext http, ReportRequest request)
    {
        var all = Filtered(request);
        var page = all.Skip(Int(request, "offset", 0)).Take(Int(request, "limit", 10));
        await http.Response.WriteAsJsonAsync(new JsonObject { ["items"] = new JsonArray([.. page.Select(Json)]) });
    }

    private async Task TokenAsync(HttpContext http)
    {
        var form = await new StreamReader(http.Request.Body).ReadToEndAsync();
        _requests.Enqueue(new ReportRequest(DateTimeOffset.UtcNow, "POST", "/oauth/token", new Dictionary<string, string>(), http.Request.Headers.Authorization.FirstOrDefault(), form));
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
        if (http.Request.Headers.Authorization != basic || !form.StartsWith("grant_type=client_credentials", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 401;
            await http.Response.WriteAsync("""{"error":"invalid_client"}""");
            return;
        }

        var token = $"token-{Interlocked.Increment(ref _tokensIssued)}";
        _tokens[token] = true;
        await http.Response.WriteAsJsonAsync(new JsonObject { ["access_token"] = token, ["token_type"] = "bearer", ["expires_in"] = 3600 });
    }
}
