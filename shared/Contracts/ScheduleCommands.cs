namespace Jobs.Contracts;

/// <summary>Creates the schedule or replaces the one of the same name (queue <c>scheduler-commands</c>).</summary>
public record UpsertSchedule(ScheduleSpec Schedule);

public record PauseSchedule(string Name);

public record ResumeSchedule(string Name);

/// <summary>Fires the schedule now, once, outside its cron expression (overlap policy still applies).</summary>
public record TriggerSchedule(string Name);

public record DeleteSchedule(string Name);
