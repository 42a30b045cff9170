using System.Net.ServerSentEvents;
using System.Security.Claims;
using Jobs.Reporting.Security;

namespace Jobs.Reporting.Overview;

/// <summary><c>GET /overview</c> and its live stream <c>GET /overview/stream</c>: what the operations console shows first.</summary>
public static class OverviewEndpoints
{
    /// <summary>The SSE event type of <c>GET /overview/stream</c>.</summary>
    public const string EventType = "overview";

    private const string Shape =
        "at; running: jobs whose audited status is Running or Pending (newest first, at most 100) with the Integrator's live counts and percent; " +
        "last24h: per platform the roots started and those ended (completed, completedWithFailures, failed, cancelled) in the current UTC hour " +
        "and the 23 before it, with hourly buckets (hour, started, completed incl. with failures, failed; zeros included); failureRate: " +
        "(failed + completedWithFailures) / ended in those hours, null when none ended; childrenPerSecond: the live Integrations processes' sum; " +
        "queues: every integration queue from the RabbitMQ management API (messages, ready, unacked, consumers, publishRate, ackRate) with the " +
        "Integrations processes whose heartbeat names it (queues [] and queuesError when the management API fails); nextFires: the " +
        "Scheduler's schedules (nextFires [] and schedulesError when it does not answer); dependencies: the checks of POST /system/alive. " +
        "The dependency checks and the schedules are reused for 10 s. A key scoped to platforms sees its platforms' running jobs, days, " +
        "queues and schedules, and the failure rate over them; childrenPerSecond and dependencies are the system's.";

    public static IEndpointRouteBuilder MapOverviewEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/overview", async (OverviewSnapshots snapshots, ClaimsPrincipal user, CancellationToken cancellationToken) =>
                TypedResults.Ok(OverviewSnapshots.Scoped(await snapshots.ComputeAsync(cancellationToken), user)))
            .WithName("GetOverview").RequireAuthorization(Operations.Read)
            .WithDescription("The operations overview. " + Shape);
        app.MapGet("/overview/stream", (OverviewStream stream, ClaimsPrincipal user, CancellationToken cancellationToken) =>
                TypedResults.ServerSentEvents(Events(stream, user, cancellationToken)))
            .WithName("StreamOverview").RequireAuthorization(Operations.Read)
            .WithDescription($"Server-sent events, type '{EventType}', data: the JSON of GET /overview; the first at once, then every " +
                             "Reporting:OverviewRefresh (2 s by default). One computation serves every open stream, and none runs while no " +
                             "stream is open.");
        return app;
    }

    private static async IAsyncEnumerable<SseItem<OverviewResponse>> Events(OverviewStream stream, ClaimsPrincipal user,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var snapshot in stream.SubscribeAsync(cancellationToken))
            yield return new SseItem<OverviewResponse>(OverviewSnapshots.Scoped(snapshot, user), EventType);
    }
}
