namespace Jobs.Contracts;

/// <summary>Creates the schedule or replaces the one of the same name (queue <c>scheduler-commands</c>).</summary>
public record UpsertSchedule(ScheduleSpec Schedule);

public record PauseSchedule(string Name);

public record ResumeSchedule(string Name);

/// <summary>Fires the schedule now, once, outside its cron expression (overlap policy still applies).</summary>
public record TriggerSchedule(string Name);

public record DeleteSchedule(string Name);

/// <summary>Request (to <c>scheduler-commands</c>): every schedule with its state; answered with <see cref="ScheduleList"/>.</summary>
public record ListSchedules(bool IncludeSettings = true);

public record ScheduleList(IReadOnlyList<ScheduleState> Schedules);

/// <summary>
/// A stored schedule: its definition, <c>Normal</c> / <c>Paused</c> / ..., its fire times, and the latest fires that could not start
/// their root job (newest first; <see cref="FailedFire"/>).
/// </summary>
public record ScheduleState(ScheduleSpec Schedule, string State, DateTimeOffset? NextFireAt, DateTimeOffset? PreviousFireAt,
    IReadOnlyList<FailedFire>? FailedFires = null);

/// <summary>
/// A fire time whose root job could not be started and recorded within the Scheduler's retry limit
/// (<c>Scheduler:FireRetryLimit</c>): the job <see cref="RootJobId"/> never ran.
/// </summary>
public record FailedFire(DateTimeOffset ScheduledAt, Guid RootJobId, DateTimeOffset FailedAt, string Error);

/// <summary>
/// The answer to a schedule command sent as a request: accepted, or refused because the schedule does not exist
/// (<see cref="NotFound"/>) or its definition is invalid (<see cref="Error"/> lists every problem). Commands sent
/// without a request are not answered; a refused one goes to <c>scheduler-commands_error</c> with the reason.
/// </summary>
public record ScheduleCommandResult(string Name, bool Accepted, bool NotFound, string? Error);
