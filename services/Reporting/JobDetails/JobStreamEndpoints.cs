using System.Net.ServerSentEvents;
using Jobs.Contracts;
using Jobs.Integrator.ReadModel;
using Jobs.Reporting.Queries;
using Jobs.Reporting.Security;
using StackExchange.Redis;

namespace Jobs.Reporting.JobDetails;

/// <summary>An event of <c>GET /jobs/{id}/stream</c>: the job's status, counts and progress as the read models hold them now.</summary>
public sealed record JobStreamEvent(Guid Id, string Status, ChildCounts Children, JobProgress Progress, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary><c>GET /jobs/{id}/stream</c>: follows one job until it ends, as server-sent events.</summary>
public static class JobStreamEndpoints
{
    /// <summary>The SSE event type of <c>GET /jobs/{id}/stream</c>.</summary>
    public const string EventType = "job";

    /// <summary>How often the read model is read again while nothing announces the job's end.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static IEndpointRouteBuilder MapJobStreamEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs/{id:guid}/stream", StreamAsync).WithName("StreamJob").RequireAuthorization(Operations.Read).ScopedToJob()
            .WithDescription($"Server-sent events, type '{EventType}', data: {{ id, status, children: {{ total, completed, failed }}, progress " +
                             "(as in GET /jobs/{id}), startedAt, finishedAt }: the first at once, then each time it changes (read every second, " +
                             "and at once when the Integrator announces the end); once the job has ended, the final event and the stream closes. " +
                             "404 problem details for an unknown job.");
        return app;
    }

    private static async Task<IResult> StreamAsync(Guid id, IConnectionMultiplexer redis, JobQueries queries, JobEndWaiter waiter,
        CancellationToken cancellationToken)
    {
        if (await ReadAsync(id, redis, queries, cancellationToken) is not { } first) return JobsEndpoints.NotFound(id);
        return TypedResults.ServerSentEvents(Events(id, first, redis, queries, waiter, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<JobStreamEvent>> Events(Guid id, JobStreamEvent first, IConnectionMultiplexer redis, JobQueries queries,
        JobEndWaiter waiter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = first;
        yield return new SseItem<JobStreamEvent>(last, EventType);
        while (!JobStatus.HasEnded(last.Status))
        {
            await waiter.WaitAsync(id, async () => JobStatus.HasEnded(await RootJobReader.StatusAsync(redis.GetDatabase(), id)), PollInterval,
                cancellationToken);
            if (await ReadAsync(id, redis, queries, cancellationToken) is not { } now || now == last) continue;
            last = now;
            yield return new SseItem<JobStreamEvent>(last, EventType);
        }
    }

    private static async Task<JobStreamEvent?> ReadAsync(Guid id, IConnectionMultiplexer redis, JobQueries queries, CancellationToken cancellationToken)
    {
        if (await AcceptedJobs.FindAsync(redis.GetDatabase(), id) is not { } job) return null;
        var counts = new ChildCounts(job.Total, job.Completed, job.Failed);
        return new JobStreamEvent(id, job.Status, counts, await queries.ProgressAsync(id, counts, job.Status, cancellationToken), job.StartedAt,
            job.FinishedAt);
    }
}
