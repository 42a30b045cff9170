using Jobs.Reporting.Queries;
using Jobs.Reporting.Security;
using StackExchange.Redis;

namespace Jobs.Reporting.JobDetails;

/// <summary><c>GET /jobs/{id}/tree</c>: a job's tree, one level and one page at a time.</summary>
public static class JobTreeEndpoints
{
    public static IEndpointRouteBuilder MapJobTreeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs/{id:guid}/tree", GetAsync).WithName("GetJobTree").RequireAuthorization(Operations.Read).ScopedToJob()
            .WithDescription(
                "One level of a job's tree: the node (node omitted = the root), one page of its children (running ones first, by id, then " +
                "finished ones in the order they started) and waiting: how many of its children have not started yet. The root and its " +
                "entry run (the root's one job of generation 0, which spawns the first children) are one node, kind root, with the entry " +
                "run's task, attempts and spawned, the root's status, error and times; its children are the entry run's children (and the " +
                "entry's continuation, if any). node = the entry's id answers the same level with the entry as the node (kind entry). A " +
                "continuation (kind continuation) is a child of the job that spawned it, listed beside that job's children. counts: the " +
                "node's descendants (not the node itself): done (completed), failed, running (being run now) and waiting (spawned by a " +
                "finished job, neither finished nor running); the root's are the Integrator's live counts. status: Completed, Failed, " +
                $"Running, or the root's status. pageSize at most {JobTreeQueries.MaxPageSize}.");
        return app;
    }

    private static async Task<IResult> GetAsync(Guid id, JobTreeQueries tree, IConnectionMultiplexer redis, CancellationToken cancellationToken,
        string? node = null, int page = 1, int pageSize = 50)
    {
        var errors = Paging.Errors(page, pageSize, JobTreeQueries.MaxPageSize);
        Guid? nodeId = null;
        if (!string.IsNullOrEmpty(node))
        {
            if (Guid.TryParse(node, out var parsed)) nodeId = parsed;
            else errors["node"] = ["must be the id (a guid) of a job of this tree"];
        }

        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The tree query is invalid");
        if (await AcceptedJobs.FindAsync(redis.GetDatabase(), id) is not { } root) return JobsEndpoints.NotFound(id);
        return await tree.GetAsync(id, root, nodeId, page, pageSize, cancellationToken) is { } level
            ? Results.Ok(level)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Node not found",
                detail: $"Job {id} has no finished or running job {nodeId} (a job that has not started yet is only counted: waiting)");
    }
}
