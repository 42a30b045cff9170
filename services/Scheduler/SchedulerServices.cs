using Jobs.Scheduler.Schedules;
using Jobs.ServiceDefaults;
using Quartz;

namespace Jobs.Scheduler;

public static class SchedulerServices
{
    public static WebApplicationBuilder AddSchedulerServices(this WebApplicationBuilder builder)
    {
        var schedules = builder.Configuration.GetSection("Schedules").Get<List<ScheduleOptions>>() ?? [];
        builder.Services.AddQuartz(quartz =>
        {
            foreach (var schedule in schedules.Where(s => s.Enabled))
            {
                var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
                var key = new JobKey(schedule.Name, "schedules");
                quartz.AddJob<StartScheduledJob>(job => job.WithIdentity(key).UsingJobData(StartScheduledJob.ScheduleKey, schedule.Name));
                quartz.AddTrigger(trigger => trigger
                    .ForJob(key)
                    .WithIdentity(schedule.Name, "schedules")
                    .WithCronSchedule(schedule.Cron, cron => cron.InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)));
            }
        });
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        builder.AddBus(_ => { });
        return builder;
    }
}
