using Jobs.TestSupport;
using Xunit.Abstractions;

namespace Jobs.Faults.Tests;

/// <summary>Two processes of every service side by side, on the broker of <c>RABBITMQ_URL</c> (the cluster, in <c>make test</c>).</summary>
public sealed class ScaleOutFixture : FaultSystem
{
    protected override Task<ServiceSystem> StartAsync() => ServiceSystem.StartAsync("scaleout", FaultSettings(), instances: 2);
}

[CollectionDefinition(Name)]
public sealed class ScaleOutCollection : ICollectionFixture<ScaleOutFixture>
{
    public const string Name = "scale-out";
}

/// <summary>
/// Several instances of each service: two Integrators share the saga and the ledger, two Auditors neither double-write nor
/// double-sweep, two Reportings answer alike, and a SIGKILL of one instance of every service mid-job loses and doubles nothing.
/// </summary>
[Collection(ScaleOutCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ScaleOutTests(ScaleOutFixture system, ITestOutputHelper output)
{
    [Fact]
    public async Task With_two_of_each_service_a_10000_child_job_survives_a_SIGKILL_of_one_instance_of_every_service_counted_and_audited_once()
    {
        await system.BaselineConsumersAsync();
        await TwoReportingsAnswerAlikeAsync();
        var run = await system.TenThousandSurviveAsync(200, () =>
        {
            // One of each, the API's own Reporting among them: the rest of the test talks to the other one.
            foreach (var service in ServiceSystem.Names) system[service].Kill();
            system.UseApiOf("Reporting-2");
            return Task.CompletedTask;
        });

        // The survivors run the next job alone.
        await system.NextJobCompletesAsync();
        output.WriteLine($"one instance of each service killed at {run.FaultAt.TotalSeconds:0.0} s ({run.CountedBefore} counted before), " +
                         $"job Completed (10000/10000) at {run.EndedAt.TotalSeconds:0.0} s, the next job done at {run.Clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Either Reporting gives the same answer: the platforms, and a finished job as audited, field by field.</summary>
    private async Task TwoReportingsAnswerAlikeAsync()
    {
        var id = await system.SubmitAsync(new { children = 20 });
        await system.WaitForEndAsync(id, TimeSpan.FromSeconds(90));
        using var one = system.ApiOf("Reporting");
        using var two = system.ApiOf("Reporting-2");
        foreach (var path in new[] { "platforms", $"jobs/{id}", $"jobs/{id}/status" })
        {
            // The audit trail may still be catching up (traceId, settings): both answer the same once it has.
            await Eventually.Until(async () => (await one.GetStringAsync(path), await two.GetStringAsync(path)), answers => answers.Item1 == answers.Item2,
                TimeSpan.FromSeconds(30), $"the same answer to GET /{path} from both Reportings");
        }
    }
}
