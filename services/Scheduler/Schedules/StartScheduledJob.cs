using Jobs.Contracts;
using MassTransit;
using Quartz;

namespace Jobs.Scheduler.Schedules;

/// <summary>A Quartz job that starts one root job of its schedule through <c>jobs.start</c>.</summary>
[DisallowConcurrentExecution]
public sealed class StartScheduledJob(ISendEndpointProvider sender, IConfiguration configuration, ILogger<StartScheduledJob> logger) : IJob
{
    public const string ScheduleKey = "schedule";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.MergedJobDataMap.GetString(ScheduleKey)!;
        var section = configuration.GetSection("Schedules").GetChildren()
            .FirstOrDefault(s => string.Equals(s["Name"], name, StringComparison.Ordinal));
        if (section is null)
        {
            logger.LogWarning("Schedule {Schedule} fired but is no longer configured", name);
            return;
        }

        var scheduledAt = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var rootJobId = JobIds.ForSchedule(name, scheduledAt);
        var endpoint = await sender.GetSendEndpoint(IntegrationQueues.StartJobsAddress);
        await endpoint.Send(new StartRootJob
        {
            RootJobId = rootJobId,
            Platform = section["Platform"],
            Settings = ScheduleOptions.SettingsOf(section),
            Schedule = name,
        }, cancellationToken);
        using (logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId }))
            logger.LogInformation("Schedule {Schedule} fired for {ScheduledAt:O}", name, scheduledAt);
    }
}
