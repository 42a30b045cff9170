using System.Globalization;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using Jobs.Platforms;
using Jobs.Reporting.Data;
using Jobs.Reporting.Queries;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;
using MassTransit;
using StackExchange.Redis;

namespace Jobs.Reporting;

public sealed record SubmitJobRequest(string? Platform, JsonElement? Settings, double? MinSuccessPercent);

public sealed record SubmitJobResponse(Guid Id);

public sealed record ChildCounts(long Total, long Completed, long Failed);

public sealed record JobResponse(
    Guid Id,
    string Platform,
    string Status,
    ChildCounts Children,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Schedule,
    string? Error,
    Guid? RetryOf = null,
    JobProgress? Progress = null,
    IReadOnlyList<GenerationTiming>? Generations = null,
    Paged<ChildFailure>? Failures = null,
    IReadOnlyList<JobDataset>? Datasets = null,
    TableData? Data = null,
    JsonElement? Settings = null,
    IReadOnlyList<Guid>? Retries = null,
    string? TraceId = null,
    IReadOnlyList<Jobs.Integrator.ReadModel.HookRunView>? Hooks = null,
    string? HookError = null);

public sealed record JobStatusResponse(Guid Id, string Status, ChildCounts Children);

public static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/jobs", SubmitAsync).WithName("SubmitJob").RequireAuthorization(Operations.Run);
        app.MapGet("/jobs", ListAsync).WithName("ListJobs").RequireAuthorization(Operations.Read)
            .WithDescription($"Jobs from the audit trail, newest first. status: one of {string.Join(", ", JobStatus.All)} " +
                             "(CompletedWithFailures: every child finished and the failure policy accepted the failed ones). q: a job id (whole, " +
                             $"or any run of at least {Jobs.Auditor.ReadModel.JobSearch.MinIdDigits} of its hex digits, with or without dashes, such as the " +
                             "console's short id '…5099854a'), or text " +
                             "found (case-insensitive) in the job's settings (secrets masked), its error or any of its children's errors.");
        app.MapGet("/jobs/{id:guid}", GetAsync).WithName("GetJob").RequireAuthorization(Operations.Read).ScopedToJob()
            .WithDescription("Status (Completed only when every child succeeded; CompletedWithFailures when the failure policy accepted failed " +
                             "children; Failed with the failed task's error), counts, progress, generations and failures; for a platform whose runs " +
                             "replace a table (movies), data.loadedBy / data.loadedAt / data.holdsThisJob: whose data the table holds now; settings: as audited " +
                             "(secrets masked; null before the audit has them); retries: the jobs started to re-run its failed children, oldest first; " +
                             "traceId: the W3C trace id of the job's trace (null until the Auditor has recorded the job's start); hooks: its pre and " +
                             "post hook runs so far (status succeeded, failed or skipped, error, attempts); hookError: the first failed post hook's error " +
                             "(the status and counts are the job's own).");
        app.MapGet("/jobs/{id:guid}/status", StatusAsync).WithName("GetJobStatus").RequireAuthorization(Operations.Read).ScopedToJob();
        app.MapPost("/jobs/{id:guid}/retry-failed", RetryFailedAsync).WithName("RetryFailedChildren").RequireAuthorization(Operations.Run).ScopedToJob();
        app.MapDelete("/jobs/{id:guid}", CancelAsync).WithName("CancelJob").RequireAuthorization(Operations.Run).ScopedToJob();
        app.MapGet("/platforms", async (PlatformCatalog catalog, System.Security.Claims.ClaimsPrincipal user) =>
                Results.Ok((await catalog.ListAsync()).Where(p => KeyScope.Allows(user, p.Name)))).WithName("ListPlatforms")
            .WithDescription("The platforms the key may see: name, texts, settings schema, time zone, requiredTasks and tasks (what a hook entry's task may name).")
            .RequireAuthorization(Operations.Read);
        app.MapGet("/hooks", async (HookCatalog hooks) => Results.Ok(await hooks.ListAsync())).WithName("ListHooks")
            .WithDescription("The hooks jobs may name in settings.hooks.pre / settings.hooks.post (around the job, or around each run of one task with the entry's " +
                             "task): name, description, phases and settings schema.")
            .RequireAuthorization(Operations.Read);
        app.MapGet("/system/alive", () => Results.Ok(new { alive = true })).WithName("Alive");
        app.MapPost("/system/alive", async (SystemDiagnostics diagnostics, CancellationToken cancellationToken) =>
            Results.Ok(await diagnostics.RunAsync(cancellationToken))).WithName("Diagnostics").RequireAuthorization(Operations.Read);
        return app;
    }

    /// <summary>A retried POST with the same <c>Idempotency-Key</c> within this time returns the same job.</summary>
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    /// <summary>
    /// Validates and starts the job. The request is validated here against the same catalog as the
    /// <c>jobs.start</c> endpoint, so it sends <see cref="BeginRootJob"/> straight to the RootJob saga: one hop less.
    /// </summary>
    private static async Task<IResult> SubmitAsync(SubmitJobRequest request, JobRequestValidator validator, ISendEndpointProvider sender,
        IConnectionMultiplexer redis, LinkGenerator links, HttpContext http,
        [Microsoft.AspNetCore.Mvc.FromHeader(Name = "Idempotency-Key")] string? idempotencyKey)
    {
        var validation = await validator.ValidateAsync(request.Platform, request.Settings, minSuccessPercent: request.MinSuccessPercent);
        if (!validation.IsValid)
            return Results.ValidationProblem(validation.Errors, title: "The job request is invalid", detail: validation.Describe());
        if (!KeyScope.Allows(http.User, validation.Platform!.Name))
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside this key's scope",
                detail: $"This key may run jobs of {string.Join(", ", KeyScope.Platforms(http.User)!)} only, not of '{validation.Platform.Name}'.");

        var id = NewId.NextGuid();
        if (!string.IsNullOrEmpty(idempotencyKey))
        {
            // The first request with a key claims it; a retry gets the job the first one started.
            var key = "idempotency:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey)));
            if (!await redis.GetDatabase().StringSetAsync(key, id.ToString(), IdempotencyWindow, When.NotExists))
            {
                var existing = Guid.Parse((string)(await redis.GetDatabase().StringGetAsync(key))!);
                return Results.Accepted(links.GetPathByName(http, "GetJob", new { id = existing }), new SubmitJobResponse(existing));
            }
        }

        var saga = await sender.GetSendEndpoint(IntegrationQueues.RootJobsAddress);
        System.Diagnostics.Activity.Current?.SetTag(JobTracing.RootJobId, id.ToString()).SetTag(JobTracing.Platform, validation.Platform.Name);
        // The record of the accepted job and the start are written at once: the job is not started later for a Redis round trip.
        // Both have landed before the client hears of the job, and a reader prefers the Integrator's record when the start wins.
        await Task.WhenAll(
            AcceptedJobs.RecordAsync(redis.GetDatabase(), id, validation.Platform!.Name),
            saga.Send(new BeginRootJob(id, validation.Platform.Name, validation.Settings, null, request.MinSuccessPercent ?? 0,
                DateTimeOffset.UtcNow)));
        return Results.Accepted(links.GetPathByName(http, "GetJob", new { id }), new SubmitJobResponse(id));
    }

    /// <summary>
    /// Jobs from the audit trail, newest first: filtered by platform, status, schedule and start time
    /// (<c>from</c> inclusive, <c>to</c> exclusive), paged.
    /// </summary>
    private static async Task<IResult> ListAsync(JobQueries queries, System.Security.Claims.ClaimsPrincipal user, CancellationToken cancellationToken,
        string? platform = null, string? status = null,
        string? schedule = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int page = 1, int pageSize = 50, string? q = null)
    {
        var errors = PagingErrors(page, pageSize, "page", "pageSize");
        if (status is not null && !KnownStatuses.Contains(status)) errors["status"] = [$"unknown status '{status}'; one of {string.Join(", ", KnownStatuses)}"];
        if (from is not null && to is not null && from >= to) errors["to"] = ["must be later than from"];
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The job query is invalid");
        // A key scoped to platforms lists only their jobs.
        return Results.Ok(await queries.ListAsync(new JobFilter(platform, status, schedule, from, to, page, pageSize, q, KeyScope.Platforms(user)),
            cancellationToken));
    }

    private static readonly IReadOnlyList<string> KnownStatuses = JobStatus.All;

    private static Dictionary<string, string[]> PagingErrors(int page, int pageSize, string pageName, string sizeName) =>
        Paging.Errors(page, pageSize, JobQueries.MaxPageSize, pageName, sizeName);

    /// <summary>The longest <c>wait</c> of <c>GET /jobs/{id}/status</c>, in seconds.</summary>
    public const double MaxWaitSeconds = 60;

    /// <summary>
    /// Status and counts only, from the live read model (one Redis read): for clients that follow a job. With
    /// <c>wait</c> (seconds, at most <see cref="MaxWaitSeconds"/>) a job that has not ended is answered when it ends, or
    /// when the wait is over, whichever comes first: a client waits for the end without polling.
    /// </summary>
    private static async Task<IResult> StatusAsync(Guid id, IConnectionMultiplexer redis, JobEndWaiter waiter, CancellationToken cancellationToken,
        double? wait = null)
    {
        if (wait is { } w && (!double.IsFinite(w) || w < 0 || w > MaxWaitSeconds))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["wait"] = [$"must be between 0 and {MaxWaitSeconds} seconds"] },
                title: "The status query is invalid");
        if (await ReadModelAsync(redis, id) is not { } job) return NotFound(id);
        if (wait is > 0 && !JobStatus.HasEnded(job.Status))
        {
            await waiter.WaitAsync(id, async () => JobStatus.HasEnded(await RootJobReader.StatusAsync(redis.GetDatabase(), id)),
                TimeSpan.FromSeconds(wait.Value), cancellationToken);
            job = await ReadModelAsync(redis, id) ?? job;
        }

        return Results.Ok(new JobStatusResponse(id, job.Status, Counts(job)));
    }

    /// <summary>
    /// A job: status and counts (live), progress, per-generation timing, its failed children (paged), for a platform whose
    /// runs replace a table (movies) which job's data that table holds now (<c>data.loadedBy</c>, <c>data.loadedAt</c>), and -
    /// only with <c>full=true</c> - the datasets its runs stored for debugging.
    /// </summary>
    private static async Task<IResult> GetAsync(Guid id, IConnectionMultiplexer redis, JobQueries queries, CancellationToken cancellationToken,
        bool full = false, int failuresPage = 1, int failuresPageSize = 20)
    {
        var errors = PagingErrors(failuresPage, failuresPageSize, "failuresPage", "failuresPageSize");
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The job query is invalid");
        if (await ReadModelAsync(redis, id) is not { } job) return NotFound(id);
        var (status, counts) = (job.Status, Counts(job));
        var progress = queries.ProgressAsync(id, counts, status, cancellationToken);
        var generations = queries.GenerationsAsync(id, cancellationToken);
        var failures = counts.Failed > 0
            ? queries.FailuresAsync(id, failuresPage, failuresPageSize, cancellationToken)
            : Task.FromResult(new Paged<ChildFailure>([], failuresPage, failuresPageSize, 0));
        var datasets = full ? queries.DatasetsAsync(id) : Task.FromResult<IReadOnlyList<JobDataset>>(null!);
        var platform = job.Platform;
        var data = queries.TableDataAsync(platform, id, cancellationToken);
        var settings = queries.AuditedSettingsAsync(id, cancellationToken);
        var retries = queries.RetriesAsync(id, cancellationToken);
        var traceId = queries.TraceIdAsync(id, cancellationToken);
        await Task.WhenAll(progress, generations, failures, datasets, data, settings, retries, traceId);
        return Results.Ok(new JobResponse(
            id,
            platform,
            status,
            counts,
            job.StartedAt,
            job.FinishedAt,
            job.Schedule,
            job.Error,
            job.RetryOf,
            await progress,
            await generations,
            await failures,
            full ? await datasets : null,
            await data,
            await settings,
            await retries,
            await traceId,
            job.Hooks ?? [],
            job.HookError));
    }

    /// <summary>
    /// Re-runs only the failed children of an ended job, as a new root job (<c>retryOf</c> = the old one) whose entry
    /// spawns the recorded failed children again with their own tasks and settings. 202 with the new job; 409 while
    /// the job runs or when it has no recorded failed children (children that timed out never reported and have none).
    /// </summary>
    private static async Task<IResult> RetryFailedAsync(Guid id, IConnectionMultiplexer redis, ISendEndpointProvider sender, LinkGenerator links,
        HttpContext http, JobQueries queries, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        if (await AcceptedJobs.FindAsync(db, id) is not { } job) return NotFound(id);
        if (!JobStatus.HasEnded(job.Status))
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job has not ended",
                detail: $"Job {id} is {job.Status}; retry its failed children once it has ended");
        var failed = await Runs.FailedCountAsync(db, id);
        if (failed == 0)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to retry",
                detail: $"Job {id} has no recorded failed children (they are kept {Runs.DetailsLifetime.TotalDays:0} days; children that timed out have none)");

        var retry = NewId.NextGuid();
        var platform = job.Platform;
        await AcceptedJobs.RecordAsync(db, retry, platform, id);
        // The audit shows the original job's (masked) settings; the children bring their own.
        var settings = await queries.SettingsAsync(id, cancellationToken);
        var saga = await sender.GetSendEndpoint(IntegrationQueues.RootJobsAddress);
        System.Diagnostics.Activity.Current?.SetTag(JobTracing.RootJobId, retry.ToString()).SetTag(JobTracing.Platform, platform);
        await saga.Send(new BeginRootJob(retry, platform, settings, null, 0, DateTimeOffset.UtcNow, id), cancellationToken);
        return Results.Accepted(links.GetPathByName(http, "GetJob", new { id = retry }), new { id = retry, retryOf = id, children = failed });
    }

    /// <summary>
    /// Cancels a job: children still queued never start, running ones get their cancellation token.
    /// 202 while it is being cancelled, 409 when it has already ended.
    /// </summary>
    private static async Task<IResult> CancelAsync(Guid id, IConnectionMultiplexer redis, IPublishEndpoint publisher)
    {
        var status = (await AcceptedJobs.FindAsync(redis.GetDatabase(), id))?.Status;
        if (status is null) return NotFound(id);
        if (JobStatus.HasEnded(status))
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job has already ended", detail: $"Job {id} is {status}");

        await publisher.Publish(new CancelRootJob(id, "cancelled through the API"));
        return Results.Accepted($"/jobs/{id}", new { id, status = "Cancelling" });
    }

    /// <summary>The job from the Integrator's read model (Pending from Reporting's own record until the Integrator started it); null when there is no such job.</summary>
    private static Task<RootJobView?> ReadModelAsync(IConnectionMultiplexer redis, Guid id) => AcceptedJobs.FindAsync(redis.GetDatabase(), id);

    private static ChildCounts Counts(RootJobView job) => new(job.Total, job.Completed, job.Failed);

    /// <summary>404 problem details for a job id nobody knows.</summary>
    internal static IResult NotFound(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Job not found", detail: $"No job with id {id}");
}
