using System.Text.Json;
using Jobs.Contracts;
using MassTransit;
using Quartz;

namespace Jobs.Scheduler.Schedules;

/// <summary>
/// A schedule's Quartz job: starts one root job through <c>jobs.start</c>, unless the overlap policy says the
/// previous run is still going. The root job id is derived from the schedule and the scheduled fire time, so
/// a fire that is somehow handled twice still starts one job.
/// </summary>
public sealed class StartScheduledJob(ISendEndpointProvider sender, ScheduleRuns runs, ILogger<StartScheduledJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.JobDetail.Key.Name;
        var data = context.MergedJobDataMap;
        var scheduledAt = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var rootJobId = JobIds.ForSchedule(name, scheduledAt);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId, ["Schedule"] = name });

        var skipIfRunning = data.GetString(ScheduleStore.OverlapKey) != ScheduleOverlap.Allow;
        if (await runs.TryBeginAsync(name, rootJobId, scheduledAt, skipIfRunning, cancellationToken) is { } running)
        {
            SchedulerMetrics.SkippedOverlap.WithLabels(name).Inc();
            logger.LogInformation("Schedule {Schedule} skipped its fire of {ScheduledAt:O}: run {RunningJobId} is still going", name, scheduledAt, running);
            return;
        }

        using var settings = JsonDocument.Parse(data.GetString(ScheduleStore.SettingsKey) ?? "{}");
        var endpoint = await sender.GetSendEndpoint(IntegrationQueues.StartJobsAddress);
        await endpoint.Send(new StartRootJob
        {
            RootJobId = rootJobId,
            Platform = data.GetString(ScheduleStore.PlatformKey),
            Settings = settings.RootElement.Clone(),
            Schedule = name,
        }, cancellationToken);
        SchedulerMetrics.Fires.WithLabels(name).Inc();
        logger.LogInformation("Schedule {Schedule} fired for {ScheduledAt:O}", name, scheduledAt);
    }
}
