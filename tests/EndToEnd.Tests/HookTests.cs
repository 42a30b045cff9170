using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace Jobs.EndToEnd.Tests;

/// <summary>Pre and post hooks of jobs, through the five services: webhook (to a loopback receiver), sql, require-fresh, refusals.</summary>
[Collection(SystemCollection.Name)]
public sealed class HookTests(SystemFixture system) : IAsyncLifetime
{
    public const string MarkStatement =
        "INSERT INTO e2e_hook_marks (root_job_id, platform, status, total, completed) VALUES (@root_job_id, @platform, @status, @total, @completed)";

    private readonly WebhookReceiver _receiver = new();

    public async Task InitializeAsync() => await _receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static object Webhook(Uri url, string secret) => new { name = "webhook", settings = new { url = url.ToString(), secret } };

    private async Task<(Guid Id, JsonElement Job)> RunAsync(object settings)
    {
        var id = await system.SubmitAsync(settings);
        return (id, await system.WaitForEndAsync(id, TimeSpan.FromMinutes(1)));
    }

    private static JsonElement[] Hooks(JsonElement job) => job.GetProperty("hooks").EnumerateArray().ToArray();

    [Fact]
    public async Task A_post_webhook_answered_500_is_retried_and_delivers_the_final_counts_signed_with_its_secret_that_is_masked_everywhere()
    {
        var secret = $"hook-{Guid.NewGuid():N}";
        var path = $"flaky/{Guid.NewGuid():N}";
        _receiver.Answer(path, attempt => attempt == 1 ? 500 : 204);

        var (id, job) = await RunAsync(new { children = 3, hooks = new { post = new[] { Webhook(_receiver.Url(path), secret) } } });

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("hookError").ValueKind);
        var hook = Assert.Single(Hooks(job));
        Assert.Equal(("post", "webhook", "succeeded"), (hook.GetProperty("phase").GetString(), hook.GetProperty("name").GetString(), hook.GetProperty("status").GetString()));

        var deliveries = _receiver.Of(path);
        Assert.Equal(2, deliveries.Count);
        Assert.Equal(deliveries[0].Headers["X-Jobs-Delivery"], deliveries[1].Headers["X-Jobs-Delivery"]);
        var last = deliveries[1];
        // The signature is HMAC-SHA256 of "<timestamp>.<body>" keyed by the secret.
        var signed = Encoding.UTF8.GetBytes(last.Headers["X-Jobs-Timestamp"] + ".").Concat(last.Body).ToArray();
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)), last.Headers["X-Jobs-Signature"]);
        var body = JsonDocument.Parse(last.Body).RootElement;
        Assert.Equal(("job.finished", id, "synthetic", "post", "Completed"), (body.GetProperty("event").GetString(), body.GetProperty("job_id").GetGuid(),
            body.GetProperty("platform").GetString(), body.GetProperty("phase").GetString(), body.GetProperty("status").GetString()));
        var children = job.GetProperty("children");
        Assert.Equal((children.GetProperty("total").GetInt64(), children.GetProperty("completed").GetInt64(), 0L),
            (body.GetProperty("total").GetInt64(), body.GetProperty("completed").GetInt64(), body.GetProperty("failed").GetInt64()));
        Assert.True(body.GetProperty("total").GetInt64() >= 3);

        // The secret went into the signature only: not into the API, the audit trail or any log.
        await Eventually.Until(() => system.ScalarAsync(
                "SELECT count(*) FROM job_events WHERE root_job_id = $1 AND event_type IN ('RootJobCompleted', 'JobHooksFinished')", id),
            n => n == 2, TimeSpan.FromSeconds(30), "the audited end and hook runs");
        var audit = await system.AuditRowsAsync(id);
        Assert.Contains("***", await system.Api.GetStringAsync($"jobs/{id}"));
        Assert.All(new[] { audit, await system.Api.GetStringAsync($"jobs/{id}?full=true"), await system.Api.GetStringAsync("jobs?platform=synthetic&pageSize=500") },
            text => Assert.DoesNotContain(secret, text));
        Assert.All(system.Services, service => Assert.False(service.Output().Contains(secret, StringComparison.Ordinal), $"{service.Name} logged the secret"));
    }

    [Fact]
    public async Task A_failing_pre_hook_fails_the_job_before_any_child_runs()
    {
        var path = $"down/{Guid.NewGuid():N}";
        _receiver.Answer(path, _ => 500);

        var (id, job) = await RunAsync(new { children = 3, hooks = new { pre = new[] { Webhook(_receiver.Url(path), "k") } } });

        Assert.Equal("Failed", job.GetProperty("status").GetString());
        Assert.Contains("pre hook 0 'webhook' failed", job.GetProperty("error").GetString());
        Assert.Contains("500", job.GetProperty("error").GetString());
        Assert.Equal(0, job.GetProperty("children").GetProperty("total").GetInt64());
        var hook = Assert.Single(Hooks(job));
        Assert.Equal(("pre", "failed"), (hook.GetProperty("phase").GetString(), hook.GetProperty("status").GetString()));
        // Retried by the webhook client (MaxAttempts 3 in this system), then no entry run and no child: nothing was audited for it.
        Assert.Equal(3, _receiver.Of(path).Count);
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Failed'", id), n => n == 1,
            TimeSpan.FromSeconds(30), "the audited failure");
        Assert.Equal(0, await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1", id));
        Assert.Equal(0, await system.ScalarAsync("SELECT count(*) FROM job_events WHERE root_job_id = $1 AND event_type = 'ChildJobsFinished'", id));
    }

    [Fact]
    public async Task A_failing_post_hook_marks_the_job_with_its_error_and_leaves_its_status_and_counts()
    {
        var path = $"down/{Guid.NewGuid():N}";
        _receiver.Answer(path, _ => 503);

        var (id, job) = await RunAsync(new { children = 2, hooks = new { post = new[] { Webhook(_receiver.Url(path), "k") } } });

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((2L, 2L, 0L), (job.GetProperty("children").GetProperty("total").GetInt64(), job.GetProperty("children").GetProperty("completed").GetInt64(),
            job.GetProperty("children").GetProperty("failed").GetInt64()));
        Assert.Contains("post hook 0 'webhook' failed", job.GetProperty("hookError").GetString());
        Assert.Equal("failed", Assert.Single(Hooks(job)).GetProperty("status").GetString());
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Completed' AND error LIKE '%post hook 0%'", id),
            n => n == 1, TimeSpan.FromSeconds(30), "the audited root marked with the hook's error");
    }

    [Fact]
    public async Task Pre_hooks_run_in_order_before_the_entry_and_post_hooks_after_the_end_with_the_job_they_ran_for()
    {
        var (pre, post) = ($"pre/{Guid.NewGuid():N}", $"post/{Guid.NewGuid():N}");
        _receiver.Answer(pre, _ => 200);
        _receiver.Answer(post, _ => 200);

        var (id, job) = await RunAsync(new { children = 2, hooks = new { pre = new[] { Webhook(_receiver.Url(pre), "a") }, post = new[] { Webhook(_receiver.Url(post), "b") } } });

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal(["pre:succeeded", "post:succeeded"], Hooks(job).Select(h => $"{h.GetProperty("phase").GetString()}:{h.GetProperty("status").GetString()}"));
        var (before, after) = (Assert.Single(_receiver.Of(pre)), Assert.Single(_receiver.Of(post)));
        var starting = JsonDocument.Parse(before.Body).RootElement;
        Assert.Equal(("job.starting", id, JsonValueKind.Null), (starting.GetProperty("event").GetString(), starting.GetProperty("job_id").GetGuid(),
            starting.GetProperty("status").ValueKind));
        // The pre hook ran before any child started, the post hook after the last finished (the audit rows may land just after the end).
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation > 0", id), n => n == 2,
            TimeSpan.FromSeconds(30), "both children audited");
        var firstChild = await system.ScalarAsync("SELECT (extract(epoch FROM min(started_at)) * 1000)::bigint FROM child_jobs WHERE root_job_id = $1", id);
        var lastChild = await system.ScalarAsync("SELECT (extract(epoch FROM max(finished_at)) * 1000)::bigint FROM child_jobs WHERE root_job_id = $1", id);
        Assert.True(before.At.ToUnixTimeMilliseconds() <= firstChild, $"pre hook at {before.At:O}, first child at {firstChild}");
        Assert.True(after.At.ToUnixTimeMilliseconds() >= lastChild, $"post hook at {after.At:O}, last child at {lastChild}");
    }

    [Fact]
    public async Task Task_hooks_run_before_and_after_each_run_of_their_task_with_that_child_and_its_outcome()
    {
        var (pre, post) = ($"task-pre/{Guid.NewGuid():N}", $"task-post/{Guid.NewGuid():N}");
        _receiver.Answer(pre, _ => 200);
        _receiver.Answer(post, _ => 204);
        object TaskWebhook(string path) => new { name = "webhook", task = "child", settings = new { url = _receiver.Url(path).ToString(), secret = "t" } };

        var (id, job) = await RunAsync(new { children = 3, hooks = new { pre = new[] { TaskWebhook(pre) }, post = new[] { TaskWebhook(post) } } });

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((3L, 3L), (job.GetProperty("children").GetProperty("total").GetInt64(), job.GetProperty("children").GetProperty("completed").GetInt64()));
        // Task hooks are steps of the children they ran around, not of the root: the root lists no hook run of its own.
        Assert.Empty(Hooks(job));
        var starting = _receiver.Of(pre).Select(d => JsonDocument.Parse(d.Body).RootElement).ToList();
        var finished = _receiver.Of(post).Select(d => JsonDocument.Parse(d.Body).RootElement).ToList();
        Assert.Equal(3, starting.Count);
        Assert.Equal(3, finished.Count);
        Assert.All(starting, body => Assert.Equal(("task.starting", id, "child", JsonValueKind.Null),
            (body.GetProperty("event").GetString(), body.GetProperty("job_id").GetGuid(), body.GetProperty("task").GetProperty("name").GetString(),
                body.GetProperty("task").GetProperty("succeeded").ValueKind)));
        Assert.All(finished, body => Assert.Equal(("task.finished", id, "child", true),
            (body.GetProperty("event").GetString(), body.GetProperty("job_id").GetGuid(), body.GetProperty("task").GetProperty("name").GetString(),
                body.GetProperty("task").GetProperty("succeeded").GetBoolean())));
        // One delivery id per child and phase, and the children named are the audited runs of the task.
        Assert.Equal(6, _receiver.Of(pre).Concat(_receiver.Of(post)).Select(d => d.Headers["X-Jobs-Delivery"]).Distinct().Count());
        var children = starting.Select(b => b.GetProperty("task").GetProperty("child_job_id").GetGuid()).ToHashSet();
        Assert.Equal(children, finished.Select(b => b.GetProperty("task").GetProperty("child_job_id").GetGuid()).ToHashSet());
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND task = 'child' AND child_job_id = ANY($2)",
            id, children.ToArray()), n => n == 3, TimeSpan.FromSeconds(30), "the audited runs the task hooks named");
    }

    [Fact]
    public async Task A_failing_task_pre_hook_fails_each_run_of_its_task_without_running_it_and_the_job_ends_with_those_failures()
    {
        var path = $"task-down/{Guid.NewGuid():N}";
        _receiver.Answer(path, _ => 500);

        var (id, job) = await RunAsync(new { children = 2, hooks = new { pre = new[] { new { name = "webhook", task = "child", settings = new { url = _receiver.Url(path).ToString(), secret = "t" } } } } });

        Assert.Equal("CompletedWithFailures", job.GetProperty("status").GetString());
        Assert.Equal((2L, 0L, 2L), (job.GetProperty("children").GetProperty("total").GetInt64(), job.GetProperty("children").GetProperty("completed").GetInt64(),
            job.GetProperty("children").GetProperty("failed").GetInt64()));
        // Each child's hook retried by the webhook client (MaxAttempts 3), then the child failed with the hook's error and its run never started.
        Assert.Equal(6, _receiver.Of(path).Count);
        await Eventually.Until(() => system.ScalarAsync(
                "SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND task = 'child' AND status = 'Failed' AND attempts = 0 AND error LIKE '%pre hook 0 ''webhook'' of task child failed%'", id),
            n => n == 2, TimeSpan.FromSeconds(30), "the two audited children failed by their pre hook");
    }

    [Fact]
    public async Task Cancelling_a_job_stops_its_running_pre_hook_and_no_child_runs()
    {
        var path = $"hang/{Guid.NewGuid():N}";
        _receiver.Hang(path);
        var id = await system.SubmitAsync(new { children = 3, hooks = new { pre = new[] { Webhook(_receiver.Url(path), "k") } } });
        await Eventually.Until(() => Task.FromResult(_receiver.Of(path).Count), n => n == 1, TimeSpan.FromSeconds(30), "the pre hook's request");

        Assert.True((await system.Api.DeleteAsync($"jobs/{id}")).IsSuccessStatusCode);

        var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("Cancelled", job.GetProperty("status").GetString());
        // The hook's request is dropped by the Integrations process (not left to its 5 s timeout and retried).
        await Eventually.Until(() => Task.FromResult(_receiver.Aborted(path)), n => n == 1, TimeSpan.FromSeconds(4), "the aborted hook request");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(_receiver.Of(path));
        Assert.Equal(0, await system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1", id));
    }

    [Fact]
    public async Task Require_fresh_skips_a_run_whose_platform_succeeded_within_the_minutes_it_names()
    {
        // The every-second schedule of this system keeps synthetic fresh.
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE platform = 'synthetic' AND status = 'Completed'"), n => n > 0,
            TimeSpan.FromSeconds(60), "a completed synthetic job");

        var (_, job) = await RunAsync(new { children = 5, hooks = new { pre = new[] { new { name = "require-fresh", settings = new { minutes = 60 } } } } });

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal(0, job.GetProperty("children").GetProperty("total").GetInt64());
        var hook = Assert.Single(Hooks(job));
        Assert.Equal("skipped", hook.GetProperty("status").GetString());
        Assert.Contains("last successful run of synthetic", hook.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_sql_post_hook_runs_its_configured_statement_with_the_jobs_outcome()
    {
        await using (var connection = new NpgsqlConnection(system.AuditDatabase))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS e2e_hook_marks (root_job_id uuid PRIMARY KEY, platform text, status text, total bigint, completed bigint)", connection);
            await create.ExecuteNonQueryAsync();
        }

        var (id, job) = await RunAsync(new { children = 4, hooks = new { post = new[] { new { name = "sql", settings = new { statement = "e2e_mark" } } } } });

        Assert.Equal("succeeded", Assert.Single(Hooks(job)).GetProperty("status").GetString());
        Assert.Equal(1, await system.ScalarAsync("SELECT count(*) FROM e2e_hook_marks WHERE root_job_id = $1 AND platform = 'synthetic' AND status = 'Completed' AND total = 4 AND completed = 4", id));
    }

    [Fact]
    public async Task An_undefined_hook_or_settings_outside_its_schema_are_refused_at_submit_and_by_jobs_start()
    {
        var unknown = await system.Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { hooks = new { post = new[] { new { name = "no-such-hook" } } } } });
        Assert.Equal(400, (int)unknown.StatusCode);
        var problem = await unknown.Content.ReadAsStringAsync();
        Assert.Contains("settings.hooks.post[0].name", problem);
        Assert.Contains("known hooks: require-fresh, sql, webhook", problem);
        var misfit = await system.Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { hooks = new { post = new[] { new { name = "sql", settings = new { statement = "DROP TABLE root_jobs" } } } } } });
        Assert.Contains("settings.hooks.post[0].settings.statement", await misfit.Content.ReadAsStringAsync());
        var phase = await system.Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { hooks = new { post = new[] { new { name = "require-fresh", settings = new { minutes = 5 } } } } } });
        Assert.Contains("runs only as a pre hook", await phase.Content.ReadAsStringAsync());

        var task = await system.Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { hooks = new { pre = new[] { new { name = "webhook", task = "no-such-task", settings = new { url = "http://127.0.0.1:9/", secret = "k" } } } } } });
        Assert.Equal(400, (int)task.StatusCode);
        var taskProblem = await task.Content.ReadAsStringAsync();
        Assert.Contains("settings.hooks.pre[0].task", taskProblem);
        Assert.Contains("entry, child, grandchild, summary", taskProblem);
        var synthetic = JsonDocument.Parse(await system.Api.GetStringAsync("platforms")).RootElement.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "synthetic");
        Assert.Equal(["entry", "child", "grandchild", "summary"], synthetic.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));

        var marker = $"no-such-hook-{Guid.NewGuid():N}";
        Assert.True(await system.PublishStartAsync(JsonSerializer.Serialize(new { platform = "synthetic", settings = new { hooks = new { pre = new[] { new { name = marker } } } } })));
        using var management = Infrastructure.Management(system.VirtualHost);
        var vhost = system.VirtualHost.AbsolutePath.TrimStart('/');
        await Eventually.Until(async () =>
            {
                var response = await management.PostAsJsonAsync($"api/queues/{vhost}/jobs.start_error/get",
                    new { count = 100, ackmode = "ack_requeue_true", encoding = "auto" });
                if (!response.IsSuccessStatusCode) return [];
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
                    .Select(m => m.GetProperty("properties").GetProperty("headers").GetProperty("MT-Fault-Message").GetString() ?? "").ToList();
            },
            faults => faults.Any(f => f.Contains($"settings.hooks.pre[0].name: unknown hook '{marker}'")), TimeSpan.FromSeconds(30),
            "the refused start in jobs.start_error");
    }

    [Fact]
    public async Task Get_hooks_lists_the_built_in_hooks_with_their_phases_and_settings()
    {
        var hooks = JsonDocument.Parse(await system.Api.GetStringAsync("hooks")).RootElement.EnumerateArray().ToDictionary(h => h.GetProperty("name").GetString()!);

        Assert.Equal(["require-fresh", "sql", "webhook"], hooks.Keys.Order());
        Assert.Equal(["pre"], hooks["require-fresh"].GetProperty("phases").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("e2e_mark", hooks["sql"].GetProperty("settings")[0].GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()));
        Assert.True(hooks["webhook"].GetProperty("settings").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "secret").GetProperty("secret").GetBoolean());
    }

    /// <summary>A loopback HTTP server that records every request per path and answers each with the status its path's rule gives the n-th attempt.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        public sealed record Delivery(Dictionary<string, string> Headers, byte[] Body, DateTimeOffset At);

        private readonly ConcurrentDictionary<string, ConcurrentQueue<Delivery>> _deliveries = new();
        private readonly ConcurrentDictionary<string, Func<int, int>> _rules = new();
        private readonly ConcurrentDictionary<string, int> _hanging = new();
        private WebApplication? _app;
        private Uri _address = null!;

        public async Task StartAsync()
        {
            _app = LoopbackHttp.Create();
            _app.MapPost("/{**path}", async (string path, HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                var queue = _deliveries.GetOrAdd(path, _ => new ConcurrentQueue<Delivery>());
                queue.Enqueue(new Delivery(request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), buffer.ToArray(),
                    DateTimeOffset.UtcNow));
                if (_hanging.ContainsKey(path))
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, request.HttpContext.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        _hanging.AddOrUpdate(path, 1, (_, n) => n + 1);
                    }

                    return Results.StatusCode(499);
                }

                return Results.StatusCode(_rules.TryGetValue(path, out var rule) ? rule(queue.Count) : 404);
            });
            _address = await LoopbackHttp.StartAsync(_app);
        }

        public void Answer(string path, Func<int, int> statusForAttempt) => _rules[path] = statusForAttempt;

        /// <summary>Requests to <paramref name="path"/> get no answer until the client drops them (counted by <see cref="Aborted"/>).</summary>
        public void Hang(string path) => _hanging[path] = 0;

        public int Aborted(string path) => _hanging.GetValueOrDefault(path);

        public Uri Url(string path) => new(_address, path);

        public IReadOnlyList<Delivery> Of(string path) => _deliveries.TryGetValue(path, out var queue) ? queue.ToList() : [];

        public async ValueTask DisposeAsync()
        {
            if (_app is not null) await _app.DisposeAsync();
        }
    }
}
