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
/// Schedules through the Scheduler's bus commands, sent as requests so the API can answer with the outcome: list,
/// create or replace, pause, resume, trigger now, delete. Settings are validated against the platform's schema
/// here (relative dates stay relative: they are resolved at each fire); cron and time zone by the Scheduler.
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
    }

    private static void AddScheduleClient<T>(IServiceCollection services) where T : class =>
        services.AddScoped(provider => provider.GetRequiredService<IScopedClientFactory>().CreateRequestClient<T>(IntegrationQueues.SchedulerCommandsAddress,
            RequestTimeout.After(ms: (int)provider.GetRequiredService<IOptions<ReportingOptions>>().Value.SchedulerTimeout.TotalMilliseconds)));

    public static IEndpointRouteBuilder MapSchedulesEndpoints(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/schedules").WithTags("Schedules");
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
        return app;
    }

    private static Task<IResult> ListAsync(IRequestClient<ListSchedules> client, PlatformCatalog catalog, CancellationToken cancellationToken) =>
        AskAsync(async () =>
        {
            var response = await client.GetResponse<ScheduleList>(new ListSchedules(), cancellationToken);
            var masked = new List<ScheduleState>();
            foreach (var state in response.Message.Schedules)
            {
                var settings = SecretMasking.Apply(state.Schedule.Settings, await catalog.FindAsync(state.Schedule.Platform));
                masked.Add(state with { Schedule = state.Schedule with { Settings = settings } });
            }

            return Results.Ok(masked);
        });

    private static async Task<IResult> UpsertAsync(string name, ScheduleRequest request, JobRequestValidator validator, IRequestClient<UpsertSchedule> client,
        CancellationToken cancellationToken)
    {
        var validation = await validator.ValidateAsync(request.Platform, request.Settings);
        var errors = validation.Errors.ToDictionary(e => e.Key, e => e.Value);
        if (string.IsNullOrWhiteSpace(request.Cron)) errors["cron"] = ["is required: a Quartz cron expression, seconds first (\"0 */5 * * * ?\")"];
        if (name.Length > 100 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            errors["name"] = ["at most 100 characters: letters, digits, '-', '_' and '.'"];
        if (errors.Count > 0) return Results.ValidationProblem(errors, title: "The schedule is invalid", detail: validation.Describe());

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
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The Scheduler did not answer",
                detail: $"No Scheduler consumed '{IntegrationQueues.SchedulerCommands}' in time; is the Scheduler service running?");
        }
    }
}
