using Jobs.Integrations.ReadModel;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Synthetic;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

public sealed class RetryFailedTests(HostFixture host) : IClassFixture<HostFixture>
{
    private ChildJobRunner Runner() =>
        new(new IntegrationRegistry([new SyntheticIntegration()], Options.Create(new IntegrationsOptions())), new RunningJobs(), host.Redis, host.Postgres,
            Options.Create(new IntegrationsOptions()), NullLogger<ChildJobRunner>.Instance);

    private static ChildJob Child(Guid root, int index, string task, string settings) =>
        new(JobIds.Child(JobIds.Entry(root), index), JobIds.Entry(root), root, 1, task, JsonDocument.Parse(settings).RootElement.Clone());

    private static ChildJobOutcome Outcome(ChildJob job, bool ok) =>
        new(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation, job.Task, ok, ok ? null : "boom", 0, null, 1, DateTimeOffset.UtcNow,
            DateTimeOffset.UtcNow);

    private static ChildJob RetryEntry(Guid retry, Guid original) =>
        new(JobIds.Entry(retry), retry, retry, 0, IntegrationTasks.RetryFailed, JsonSerializer.SerializeToElement(new Dictionary<string, Guid> { ["retry_of"] = original }));

    [Fact]
    public async Task When_a_retry_job_runs_Should_spawn_exactly_the_recorded_failed_children_with_their_tasks_and_settings()
    {
        var (original, retry) = (Guid.NewGuid(), Guid.NewGuid());
        var batch = new RunChildJobs(original, "synthetic",
            [Child(original, 0, "child", """{"work_ms":1}"""), Child(original, 1, "grandchild", """{"work_ms":2}"""), Child(original, 2, "child", """{"work_ms":3}""")]);
        try
        {
            await ChildDefinitions.RecordFinishedAsync(host.Redis.GetDatabase(), batch,
                [Outcome(batch.Children[0], ok: true), Outcome(batch.Children[1], ok: false), Outcome(batch.Children[2], ok: false)], "test-delivery");
            var sender = new RecordingSendEndpointProvider();

            var outcome = await Runner().RunAsync(retry, "synthetic", RetryEntry(retry, original), sender, CancellationToken.None);

            Assert.True(outcome.Succeeded, outcome.Error);
            Assert.Equal(2, outcome.Spawned);
            var spawned = Assert.Single(sender.SentOf<RunChildJobs>()).Children
                .Select(c => (c.Task, c.Settings.GetRawText(), c.Generation, c.ParentJobId)).OrderBy(c => c.Item2).ToList();
            Assert.Equal([("grandchild", """{"work_ms":2}""", 1, JobIds.Entry(retry)), ("child", """{"work_ms":3}""", 1, JobIds.Entry(retry))], spawned);
            Assert.True(await host.Redis.GetDatabase().KeyTimeToLiveAsync(RunKeys.FailedKey(original)) > TimeSpan.FromDays(6));
        }
        finally
        {
            await host.Redis.GetDatabase().KeyDeleteAsync(RunKeys.FailedKey(original));
        }
    }

    [Fact]
    public async Task When_nothing_was_recorded_for_the_job_Should_fail_the_retry_saying_why()
    {
        var (original, retry) = (Guid.NewGuid(), Guid.NewGuid());

        var outcome = await Runner().RunAsync(retry, "synthetic", RetryEntry(retry, original), new RecordingSendEndpointProvider(), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Contains($"no failed children of job {original}", outcome.Error);
    }

    [Fact]
    public async Task When_a_batch_succeeds_entirely_Should_record_nothing()
    {
        var original = Guid.NewGuid();
        var batch = new RunChildJobs(original, "synthetic", [Child(original, 0, "child", "{}")]);

        await ChildDefinitions.RecordFinishedAsync(host.Redis.GetDatabase(), batch, [Outcome(batch.Children[0], ok: true)], "test-delivery");

        Assert.False(await host.Redis.GetDatabase().KeyExistsAsync(RunKeys.FailedKey(original)));
    }
}
