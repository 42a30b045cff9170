using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hooks;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using Jobs.Platforms;
using Jobs.Plugins;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Jobs.Integrations.Tests.Hooks;

/// <summary>The built-in hooks run directly (require-fresh against the real Redis, sql against a real PostgreSQL database).</summary>
public sealed class BuiltInHookTests(HostFixture host) : IClassFixture<HostFixture>
{
    private HookContext Context(string platform, string phase, object settings, HookJobOutcome? outcome = null) =>
        new(new RunJobHooks(Guid.NewGuid(), platform, null, phase, [new HookCall("x", JsonSerializer.SerializeToElement(settings))], DateTimeOffset.UtcNow, outcome),
            0, JsonSerializer.SerializeToElement(settings), 1, host.Redis, host.Postgres, NullLogger.Instance, CancellationToken.None);

    [Fact]
    public async Task Require_fresh_skips_only_when_the_platforms_last_success_is_within_its_minutes()
    {
        var platform = $"fresh-{Guid.NewGuid():N}";
        var hook = new RequireFreshHook();
        try
        {
            Assert.Null((await hook.RunAsync(Context(platform, JobHooks.Pre, new { minutes = 60 }))).SkipReason);

            await host.Redis.GetDatabase().SortedSetAddAsync(RootJobKeys.LastSucceededKey, platform, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds());

            var skipped = await hook.RunAsync(Context(platform, JobHooks.Pre, new { minutes = 60 }));
            Assert.Contains($"last successful run of {platform} ended 5", skipped.SkipReason);
            Assert.Null((await hook.RunAsync(Context(platform, JobHooks.Pre, new { minutes = 3 }))).SkipReason);
            Assert.Equal([JobHooks.Pre], hook.Describe().Phases);
        }
        finally
        {
            await host.Redis.GetDatabase().SortedSetRemoveAsync(RootJobKeys.LastSucceededKey, platform);
        }
    }

    [Fact]
    public async Task The_sql_hook_runs_the_named_statement_on_its_configured_connection_with_the_jobs_outcome_as_parameters()
    {
        var table = $"hook_marks_{Guid.NewGuid():N}";
        await using (var create = host.Postgres.CreateCommand($"CREATE TABLE {table} (root_job_id uuid, phase text, status text, failed bigint)"))
            await create.ExecuteNonQueryAsync();
        var options = new SqlHookOptions
        {
            Connections = { ["reports"] = host.ConnectionString },
            Statements =
            {
                ["mark"] = new SqlHookStatement { Sql = $"INSERT INTO {table} VALUES (@root_job_id, @phase, @status, @failed)", Connection = "reports" },
                ["noop"] = new SqlHookStatement { Sql = "SELECT 1" },
            },
        };
        Assert.Empty(options.Problems());
        using var hook = new SqlHook(Options.Create(options), host.Postgres);
        Assert.Equal(["mark", "noop"], hook.Describe().Settings.Single(s => s.Name == "statement").AllowedValues);

        var context = Context("catalogue", JobHooks.Post, new { statement = "mark" }, new HookJobOutcome(JobStatus.CompletedWithFailures, 10, 8, 2, null, DateTimeOffset.UtcNow));
        await hook.RunAsync(context);

        await using var read = host.Postgres.CreateCommand($"SELECT root_job_id, phase, status, failed FROM {table}");
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((context.RootJobId, "post", "CompletedWithFailures", 2L), (reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
    }

    [Fact]
    public void Sql_hook_options_name_a_statement_without_sql_or_with_an_unconfigured_connection()
    {
        var options = new SqlHookOptions
        {
            Statements = { ["empty"] = new SqlHookStatement(), ["elsewhere"] = new SqlHookStatement { Sql = "SELECT 1", Connection = "warehouse" } },
        };

        var problems = options.Problems().ToList();

        Assert.Contains("Hooks:Sql:Statements:empty:Sql: is required", problems);
        Assert.Contains(problems, p => p.StartsWith("Hooks:Sql:Statements:elsewhere:Connection: names 'warehouse'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_webhook_url_that_is_not_http_fails_the_hook_for_good()
    {
        var hook = new WebhookHook(new Jobs.Plugins.Http.PoliteHttpFactory(host.Redis, Options.Create(new Jobs.Plugins.Http.PoliteHttpOptions())));

        var error = await Assert.ThrowsAsync<HookFailedException>(() => hook.RunAsync(Context("synthetic", JobHooks.Post, new { url = "file:///etc/passwd", secret = "k" })));

        Assert.Contains("not an absolute http or https URL", error.Message);
    }

    [Fact]
    public void A_hooks_delivery_id_is_stable_per_phase_and_place_and_never_one_of_the_roots_children()
    {
        var root = Guid.NewGuid();
        var ids = new[] { JobIds.Hook(root, false, 0), JobIds.Hook(root, false, 1), JobIds.Hook(root, true, 0) };

        Assert.Equal(ids, new[] { JobIds.Hook(root, false, 0), JobIds.Hook(root, false, 1), JobIds.Hook(root, true, 0) });
        Assert.Equal(3, ids.Distinct().Count());
        Assert.DoesNotContain(JobIds.Entry(root), ids);
        Assert.DoesNotContain(JobIds.Child(root, 0), ids);
    }
}
