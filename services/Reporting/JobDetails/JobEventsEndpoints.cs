using System.Text.Json;
using Jobs.Auditor.ReadModel;
using Jobs.Reporting.Queries;
using Jobs.Reporting.Security;
using StackExchange.Redis;

namespace Jobs.Reporting.JobDetails;

/// <summary>
/// An audited event of a job: its id, type (<c>RootJobStarted</c>, <c>ChildJobsFinished</c>, ...), when it arrived, the size of the message as
/// stored, the outcomes a batch carries, and the message when it is small (null for a large one: <c>GET /jobs/{id}/events/{eventId}</c>).
/// </summary>
public sealed record JobEvent(long Id, string Type, DateTimeOffset ReceivedAt, int Bytes, int? Outcomes, JsonElement? Payload);

/// <summary><c>GET /jobs/{id}/events</c>: the audit trail of one job, in the order its events arrived.</summary>
public static class JobEventsEndpoints
{
    public const int MaxPageSize = 200;

    /// <summary>Messages up to this size are listed with their payload; larger ones (batches of outcomes) are read one by one.</summary>
    public const int InlineBytes = 2048;

    public static IEndpointRouteBuilder MapJobEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs/{id:guid}/events", GetAsync).WithName("ListJobEvents").RequireAuthorization(Operations.Read).ScopedToJob()
            .WithDescription("The job's audited events (the Auditor's trail), oldest first, paged: type (the event's contract name), " +
                             $"receivedAt, bytes (the message's size as stored, compressed), outcomes (children a batch reports) and payload (the message as audited: " +
                             $"settings with secrets masked) when it is at most {InlineBytes} bytes, else null. pageSize at most {MaxPageSize}.");
        app.MapGet("/jobs/{id:guid}/events/{eventId:long}", GetOneAsync).WithName("GetJobEvent").RequireAuthorization(Operations.Read).ScopedToJob()
            .WithDescription("One audited event of the job with its whole message (payload), however large.");
        return app;
    }

    private static async Task<IResult> GetAsync(Guid id, AuditTrailReader audit, IConnectionMultiplexer redis, CancellationToken cancellationToken,
        int page = 1, int pageSize = 50)
    {
        var errors = Paging.Errors(page, pageSize, MaxPageSize);
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The events query is invalid");
        var events = await audit.EventsAsync(id, page, pageSize, cancellationToken, InlineBytes);
        // A job known to the read models but without audited events yet (the Auditor is behind) has an empty trail, not a 404.
        if (events.Total == 0 && await AcceptedJobs.FindAsync(redis.GetDatabase(), id) is null) return JobsEndpoints.NotFound(id);
        return Results.Ok(new Paged<JobEvent>(events.Items.Select(e => new JobEvent(e.Id, e.Type, e.ReceivedAt, e.Bytes, e.Outcomes, e.Payload)).ToList(), page, pageSize,
            events.Total));
    }

    private static async Task<IResult> GetOneAsync(Guid id, long eventId, AuditTrailReader audit, CancellationToken cancellationToken) =>
        await audit.EventPayloadAsync(id, eventId, cancellationToken) is { } payload
            ? Results.Ok(new { id = eventId, payload })
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Event not found", detail: $"Job {id} has no audited event {eventId}");
}
