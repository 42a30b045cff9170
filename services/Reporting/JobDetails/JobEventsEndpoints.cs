using System.Text.Json;
using Jobs.Auditor.ReadModel;
using Jobs.Reporting.Queries;
using Jobs.Reporting.Security;
using StackExchange.Redis;

namespace Jobs.Reporting.JobDetails;

/// <summary>An audited event of a job: its type (<c>RootJobStarted</c>, <c>ChildJobsFinished</c>, ...), when it arrived, the message as stored.</summary>
public sealed record JobEvent(string Type, DateTimeOffset ReceivedAt, JsonElement Payload);

/// <summary><c>GET /jobs/{id}/events</c>: the audit trail of one job, in the order its events arrived.</summary>
public static class JobEventsEndpoints
{
    public const int MaxPageSize = 200;

    public static IEndpointRouteBuilder MapJobEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs/{id:guid}/events", GetAsync).WithName("ListJobEvents").RequireAuthorization(Operations.Read)
            .WithDescription("The job's audited events (the Auditor's trail), oldest first, paged: type (the event's contract name), " +
                             $"receivedAt and payload (the message as audited: settings with secrets masked). pageSize at most {MaxPageSize}.");
        return app;
    }

    private static async Task<IResult> GetAsync(Guid id, AuditTrailReader audit, IConnectionMultiplexer redis, CancellationToken cancellationToken,
        int page = 1, int pageSize = 50)
    {
        var errors = Paging.Errors(page, pageSize, MaxPageSize);
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The events query is invalid");
        var events = await audit.EventsAsync(id, page, pageSize, cancellationToken);
        // A job known to the read models but without audited events yet (the Auditor is behind) has an empty trail, not a 404.
        if (events.Total == 0 && await AcceptedJobs.FindAsync(redis.GetDatabase(), id) is null) return JobsEndpoints.NotFound(id);
        return Results.Ok(new Paged<JobEvent>(events.Items.Select(e => new JobEvent(e.Type, e.ReceivedAt, e.Payload)).ToList(), page, pageSize,
            events.Total));
    }
}
