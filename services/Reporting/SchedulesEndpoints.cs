using System.Globalization;
using System.Security.Claims;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Platforms;
using Jobs.Reporting.Security;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting;

/// <summary>The body of <c>PUT /schedules/{name}</c>; absent fields take the defaults shown.</summary>
public sealed record ScheduleRequest(
    string? Cron,
    string? Platform,
    JsonElement? Settings,
    string? TimeZone = "UTC",
    string? Misfire = ScheduleMisfire.Skip,
    string? Overlap = ScheduleOverlap.Skip,
    bool? Enabled = true,
    int? MaxCatchUp = null);

/// <summary>
/// The body of <c>POST /schedules/{name}/backfill</c>: the range [<see cref="From"/>, <see cref="To"/>) whose intervals get a run, and
/// how many of those may run at a time (default 1).
/// </summary>
public sealed record BackfillRequest(DateTimeOffset? From, DateTimeOffset? To, int? MaxConcurrent = 1);

/// <summary>
/// Schedules through the Scheduler's bus commands, sent as requests so the API can answer with the outcome: list,
/// create or replace, pause, resume, trigger now, delete. Settings are validated against the platform's schema
/// here (relative dates and the
/// <c>{interval_start}</c> / <c>{interval_end}</c> placeholders stay as they are: they are resolved at each fire; an unknown placeholder is
/// refused); cron and time zone by the Scheduler. Backfills are asked of the Scheduler the same way.
/// </summary>
public static class SchedulesEndpoints
{
    public const string TimeoutKey = ReportingOptions.Section + ":" + nameof(ReportingOptions.SchedulerTimeout);


    /// <summary>
    /// A request client per schedule command, to the Scheduler's queue, waiting <see cref="ReportingOptions.SchedulerTimeout"/>.
    /// Registered with a factory (what <c>AddRequestClient(address, timeout)</c> registers, but with the timeout taken from the
    /// bound options when the client is made rather than from configuration while the bus is registered).
    /// </summary>
    public static void AddScheduleClients(IBusRegistrationConfigurator bus)
    {
        AddScheduleClient<ListSchedules>(bus);
        AddScheduleClient<UpsertSchedule>(bus);
        AddScheduleClient<PauseSchedule>(bus);
        AddScheduleClient<ResumeSchedule>(bus);
        AddScheduleClient<TriggerSchedule>(bus);
        AddScheduleClient<DeleteSchedule>(bus);
        AddScheduleClient<StartBackfill>(bus);
        AddScheduleClient<ListBackfills>(bus);
        AddScheduleClient<GetBackfill>(bus);
        AddScheduleClient<CancelBackfill>(bus);
    }

    private static void AddScheduleClient<T>(IServiceCollection services) where T : class =>
        services.AddScoped(provider => provider.GetRequiredService<IScopedClientFactory>().CreateRequestClient<T>(IntegrationQueues.SchedulerCommandsAddress,
            RequestTimeout.After(ms: (int)provider.GetRequiredService<IOptions<ReportingOptions>>().Value.SchedulerTimeout.TotalMilliseconds)));

    public static IEndpointRouteBuilder MapSchedulesEndpoints(this IEndpointRouteBuilder app)
    {
        // A key scoped to platforms lists and manages the schedules of its platforms; another platform's schedule is 404 to it.
        var schedules = app.MapGroup("/schedules").WithTags("Schedules").AddEndpointFilter(ScopedToScheduleAsync);
        schedules.MapGet("", ListAsync).WithName("ListSchedules").RequireAuthorization(Operations.Read);
        schedules.MapPut("/{name}", UpsertAsync).WithName("PutSchedule").RequireAuthorization(Operations.Manage);
        schedules.MapPost("/{name}/pause", (string name, IRequestClient<PauseSchedule> client, CancellationToken ct) =>
            CommandAsync(name, () => client.GetResponse<ScheduleCommandResult>(new PauseSchedule(name), ct))).WithName("PauseSchedule")
            .RequireAuthorization(Operations.Manage);
        schedules.MapPost("/{name}/resume", (string name, IRequestClient<ResumeSchedule> client, CancellationToken ct) =>
            CommandAsync(name, () => client.GetResponse<ScheduleCommandResult>(new ResumeSchedule(name), ct))).WithName("ResumeSchedule")
            .RequireAuthorization(Operations.Manage);
        schedules.MapPost("/{name}/trigger", (string name, IRequestClient<TriggerSchedule> client, CancellationToken ct) =>
            CommandAsync(name, () => client.GetResponse<ScheduleCommandResult>(new TriggerSchedule(name), ct))).WithName("TriggerSchedule")
            .RequireAuthorization(Operations.Manage);
        schedules.MapDelete("/{name}", (string name, IRequestClient<DeleteSchedule> client, CancellationToken ct) =>
            CommandAsync(name, () => client.GetResponse<ScheduleCommandResult>(new DeleteSchedule(name), ct), Results.NoContent())).WithName("DeleteSchedule")
            .RequireAuthorization(Operations.Manage);
        schedules.MapPost("/{name}/backfill", StartBackfillAsync).WithName("StartBackfill").RequireAuthorization(Operations.Manage)
            .WithDescription("Starts one root job per interval of the schedule's cron expression (in its time zone) that lies within [from, to): " +
                             "each interval runs from a fire time to the next, its job id is the one a scheduled fire at the interval's end has, so an " +
                             "interval that had its run already (a fire, an earlier backfill) is not started again. At most maxConcurrent " +
                             $"(1-{BackfillLimits.MaxConcurrent}, default 1) run at a time; the next starts when one ends. At most " +
                             $"{BackfillLimits.MaxIntervals.ToString("N0", CultureInfo.InvariantCulture)} intervals; to must not be in " +
                             "the future. {interval_start} / {interval_end} in the settings are replaced per job. 202 with the backfill and its Location.");
        schedules.MapGet("/{name}/backfills", ListBackfillsAsync).WithName("ListBackfills").RequireAuthorization(Operations.Read)
            .WithDescription("The schedule's backfills, newest first (the latest 100), with their status (Running, Completed, Cancelled) and the " +
                             "counts of their jobs: waiting, running, ended, notStarted (cancelled before their turn) and alreadyRun (intervals that had " +
                             "their run before the backfill; counted as running or ended too).");
        schedules.MapGet("/{name}/backfills/{id:guid}", GetBackfillAsync).WithName("GetBackfill").RequireAuthorization(Operations.Read)
            .WithDescription("One backfill with its jobs, oldest interval first: rootJobId (GET /jobs/{id}), intervalStart, intervalEnd (in the " +
                             "schedule's time zone), status (Waiting, NotStarted, Running, or the state the job ended in) and alreadyRun.");
        schedules.MapDelete("/{name}/backfills/{id:guid}", CancelBackfillAsync).WithName("CancelBackfill").RequireAuthorization(Operations.Manage)
            .WithDescription("Cancels the backfill: no further job of it starts, and the jobs it started that are still running are cancelled " +
                             "(as DELETE /jobs/{id} does). 202 with the backfill; 409 when every job of it has ended already.");
        return app;
    }

    private static async Task<IResult> StartBackfillAsync(string name, BackfillRequest request, IRequestClient<StartBackfill> client, LinkGenerator links,
        HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.From is null) errors["from"] = ["is required: the start of the range (ISO 8601, with an offset)"];
        if (request.To is null) errors["to"] = ["is required: the end of the range (ISO 8601, with an offset), exclusive"];
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The backfill is invalid");

        var id = NewId.NextGuid();
        return await BackfillAsync(() => client.GetResponse<BackfillResult>(
                new StartBackfill(id, name, request.From!.Value, request.To!.Value, request.MaxConcurrent ?? 1), cancellationToken),
            backfills => Results.Accepted(links.GetPathByName(http, "GetBackfill", new { name, id }), backfills.Single()));
    }

    private static Task<IResult> ListBackfillsAsync(string name, IRequestClient<ListBackfills> client, CancellationToken cancellationToken) =>
        BackfillAsync(() => client.GetResponse<BackfillResult>(new ListBackfills(name), cancellationToken), Results.Ok);

    private static Task<IResult> GetBackfillAsync(string name, Guid id, IRequestClient<GetBackfill> client, CancellationToken cancellationToken) =>
        BackfillAsync(() => client.GetResponse<BackfillResult>(new GetBackfill(name, id), cancellationToken), backfills => Results.Ok(backfills.Single()));

    private static Task<IResult> CancelBackfillAsync(string name, Guid id, IRequestClient<CancelBackfill> client, CancellationToken cancellationToken) =>
        BackfillAsync(() => client.GetResponse<BackfillResult>(new CancelBackfill(name, id), cancellationToken),
            backfills => Results.Accepted($"/schedules/{name}/backfills/{id}", backfills.Single()));

    /// <summary>Asks the Scheduler and answers with its verdict: <paramref name="accepted"/>, 400 with every problem, 404, 409 or 503.</summary>
    private static Task<IResult> BackfillAsync(Func<Task<Response<BackfillResult>>> ask, Func<IReadOnlyList<BackfillState>, IResult> accepted) =>
        AskAsync(async () =>
        {
            var result = (await ask()).Message;
            return result.Outcome switch
            {
                BackfillOutcome.Accepted => accepted(result.Backfills),
                BackfillOutcome.NotFound => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: result.Error),
                BackfillOutcome.Ended => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The backfill has ended", detail: result.Error),
                _ when result.Errors is { Count: > 0 } errors => Results.ValidationProblem(errors, title: "The backfill is invalid", detail: result.Error),
                _ => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The backfill is invalid", detail: result.Error),
            };
        });

    /// <summary>
    /// For a route with a schedule <c>{name}</c> and a scoped key: a name outside the role's schedules (Security:RoleSchedules) is 404, or
    /// 403 for a PUT that would create it; a schedule of a platform outside the key's platforms is 404 like an unknown name (so names do
    /// not leak); an unknown name goes on (a PUT creates it, within the scope; the others answer 404).
    /// </summary>
    private static async ValueTask<object?> ScopedToScheduleAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.RouteValues["name"]?.ToString() is not { } name) return await next(context);
        if (!KeyScope.AllowsSchedule(http.User, name))
            return HttpMethods.IsPut(http.Request.Method)
                ? Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside this key's scope",
                    detail: $"This key may manage only the schedules {string.Join(", ", KeyScope.Schedules(http.User)!)}, not '{name}'.")
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Schedule not found", detail: $"No schedule '{name}'");
        if (KeyScope.Platforms(http.User) is null) return await next(context);
        var client = http.RequestServices.GetRequiredService<IRequestClient<ListSchedules>>();
        ScheduleState? schedule;
        try
        {
            var list = await client.GetResponse<ScheduleList>(new ListSchedules(), http.RequestAborted);
            schedule = list.Message.Schedules.FirstOrDefault(s => s.Schedule.Name == name);
        }
        catch (RequestTimeoutException)
        {
            return SchedulerDidNotAnswer();
        }

        return schedule is null || KeyScope.Allows(http.User, schedule.Schedule.Platform)
            ? await next(context)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Schedule not found", detail: $"No schedule '{name}'");
    }

    private static Task<IResult> ListAsync(IRequestClient<ListSchedules> client, PlatformCatalog catalog, ClaimsPrincipal user,
        CancellationToken cancellationToken) =>
        AskAsync(async () =>
        {
            var response = await client.GetResponse<ScheduleList>(new ListSchedules(), cancellationToken);
            var masked = new List<ScheduleState>();
            foreach (var state in response.Message.Schedules.Where(s => KeyScope.Allows(user, s.Schedule.Platform) && KeyScope.AllowsSchedule(user, s.Schedule.Name)))
            {
                var settings = SecretMasking.Apply(state.Schedule.Settings, await catalog.FindAsync(state.Schedule.Platform));
                masked.Add(state with { Schedule = state.Schedule with { Settings = settings } });
            }

            return Results.Ok(masked);
        });

    private static async Task<IResult> UpsertAsync(string name, ScheduleRequest request, JobRequestValidator validator, IRequestClient<UpsertSchedule> client,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        // {interval_start} / {interval_end} are checked here and stand for a sample interval while the settings are validated, so a
        // date setting may hold "{interval_start:yyyy-MM-dd}"; the schedule keeps them, to be replaced at each fire.
        IReadOnlyDictionary<string, string[]> placeholders = new Dictionary<string, string[]>();
        var sample = request.Settings;
        if (request.Settings is { ValueKind: JsonValueKind.Object } template)
        {
            placeholders = IntervalPlaceholders.Problems(template);
            var now = DateTimeOffset.UtcNow;
            sample = IntervalPlaceholders.Resolve(template, new DataInterval(now.AddHours(-1), now));
        }

        var validation = await validator.ValidateAsync(request.Platform, sample);
        var errors = validation.Errors.ToDictionary(e => e.Key, e => e.Value);
        foreach (var (path, problems) in placeholders) errors[$"settings.{path}"] = [.. errors.GetValueOrDefault($"settings.{path}", []), .. problems];
        if (string.IsNullOrWhiteSpace(request.Cron)) errors["cron"] = ["is required: a Quartz cron expression, seconds first (\"0 */5 * * * ?\")"];
        if (name.Length > 100 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            errors["name"] = ["at most 100 characters: letters, digits, '-', '_' and '.'"];
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The schedule is invalid", detail: validation.Describe());
        if (!KeyScope.Allows(user, validation.Platform!.Name))
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside this key's scope",
                detail: $"This key may schedule jobs of {string.Join(", ", KeyScope.Platforms(user)!)} only, not of '{validation.Platform.Name}'.");

        var spec = new ScheduleSpec(name, request.Cron!, request.TimeZone ?? "UTC", validation.Platform!.Name,
            request.Settings ?? JsonDocument.Parse("{}").RootElement, request.Misfire ?? ScheduleMisfire.Skip, request.Overlap ?? ScheduleOverlap.Skip,
            request.Enabled ?? true, request.MaxCatchUp);
        return await CommandAsync(name, () => client.GetResponse<ScheduleCommandResult>(new UpsertSchedule(spec), cancellationToken),
            Results.Ok(spec));
    }

    private static Task<IResult> CommandAsync(string name, Func<Task<Response<ScheduleCommandResult>>> send, IResult? accepted = null) =>
        AskAsync(async () =>
        {
            var result = (await send()).Message;
            if (result.Accepted) return accepted ?? Results.Ok(new { name, accepted = true });
            return result.NotFound
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Schedule not found", detail: result.Error)
                : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The schedule is invalid", detail: result.Error);
        });

    private static async Task<IResult> AskAsync(Func<Task<IResult>> ask)
    {
        try
        {
            return await ask();
        }
        catch (RequestTimeoutException)
        {
            return SchedulerDidNotAnswer();
        }
    }

    private static IResult SchedulerDidNotAnswer() =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The Scheduler did not answer",
            detail: $"No Scheduler consumed '{IntegrationQueues.SchedulerCommands}' in time; is the Scheduler service running?");
}
