using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrator.Ledger;
using Jobs.Integrator.ReadModel;
using Jobs.Integrator.RootJobs;
using Jobs.JobTree;
using Jobs.Platforms;
using MassTransit;
using MassTransit.Saga;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Jobs.Integrator.Tests;

/// <summary>
/// The repair of a stalled root (<see cref="EndStalledRootJob"/>, sent by the Auditor's sweeper) with the Integrator's
/// consumers and saga in the in-memory harness, on the real Redis repository and ledger.
/// </summary>
public sealed class EndStalledRootJobSpecs(RedisFixture fixture) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private static readonly JsonElement Settings = JsonSerializer.SerializeToElement(new { children = 2 });
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(fixture.Redis)
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddIntegratorComponents()
            .AddMassTransitTestHarness(IntegratorServices.AddIntegratorConsumers)
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        _harness.TestTimeout = TimeSpan.FromSeconds(20);
        _harness.TestInactivityTimeout = TimeSpan.FromSeconds(1);
        await _harness.Start();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    /// <summary>A running root whose children's outcomes never reached the ledger (the messages the sweeper makes up for).</summary>
    private async Task<Guid> StartAsync()
    {
        var root = Guid.NewGuid();
        await _harness.Bus.Publish(new BeginRootJob(root, "synthetic", Settings, null, 0, DateTimeOffset.UtcNow));
        // The saga stored first (under a loaded machine that may take longer than the harness's inactivity), then its entry run sent.
        await WaitForStateAsync(root, JobStatus.Running);
        Assert.True(await _harness.Sent.Any<RunChildJobs>(m => m.Context.Message.RootJobId == root));
        return root;
    }

    private async Task SendAsync(EndStalledRootJob repair) =>
        await (await _harness.Bus.GetSendEndpoint(IntegrationQueues.EndStalledRootJobsAddress)).Send(repair);

    private async Task<RootJobState?> LoadAsync(Guid root) =>
        await _provider.GetRequiredService<ILoadSagaRepository<RootJobState>>().Load(root);

    private async Task<RootJobState> WaitForStateAsync(Guid root, string state) =>
        (await TestSupport.Eventually.Until(() => LoadAsync(root), s => s?.CurrentState == state, TimeSpan.FromSeconds(20), $"saga {root} {state}"))!;

    [Fact]
    public async Task When_the_sweeper_reports_a_stalled_root_twice_Should_end_it_once_from_the_recorded_counts()
    {
        var root = await StartAsync();

        await SendAsync(new EndStalledRootJob(root, "synthetic", 2, 1, 1, null));
        var state = await WaitForStateAsync(root, JobStatus.CompletedWithFailures);
        await SendAsync(new EndStalledRootJob(root, "synthetic", 2, 2, 0, null));

        Assert.Equal((2L, 1L, 1L), (state.Total, state.Completed, state.Failed));
        Assert.True(await _harness.Consumed.Any<EndStalledRootJob>(m => m.Context.Message is { RootJobId: var id, Completed: 2 } && id == root));
        await _harness.InactivityTask;
        Assert.Equal(2, _harness.Published.Select<RootJobChildrenFinished>(m => m.Context.Message.RootJobId == root).Count());
        var completed = Assert.Single(_harness.Published.Select<RootJobCompleted>(m => m.Context.Message.RootJobId == root)).Context.Message;
        Assert.Equal((2L, 1L, 1L, JobStatus.CompletedWithFailures), (completed.Total, completed.Completed, completed.Failed, completed.Status));
        Assert.Equal(JobStatus.CompletedWithFailures, (await LoadAsync(root))!.CurrentState);
    }

    [Fact]
    public async Task When_the_ledger_recorded_a_failure_of_the_stalled_root_Should_end_it_Failed_with_that_reason()
    {
        var root = await StartAsync();
        // A required task failed and the ledger recorded why, but the saga never heard of it (the lost message).
        await fixture.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(root), RootJobKeys.Failure, "required task 'load' failed: HTTP 500");

        await SendAsync(new EndStalledRootJob(root, "synthetic", 2, 1, 1, null));

        var state = await WaitForStateAsync(root, JobStatus.Failed);
        Assert.Equal("required task 'load' failed: HTTP 500", state.Reason);
        var finished = (await _harness.Published.SelectAsync<RootJobChildrenFinished>(m => m.Context.Message.RootJobId == root).First()).Context.Message;
        Assert.Equal(new RootJobChildrenFinished(root, 2, 1, 1, null, "required task 'load' failed: HTTP 500"), finished);
    }

    [Fact]
    public async Task When_the_stalled_roots_entry_run_failed_Should_end_it_Failed_with_the_entry_error()
    {
        var root = await StartAsync();

        await SendAsync(new EndStalledRootJob(root, "synthetic", 0, 0, 0, "HttpRequestException: 503"));

        var state = await WaitForStateAsync(root, JobStatus.Failed);
        Assert.Equal("the job's entry run failed: HttpRequestException: 503", state.Reason);
    }
}
