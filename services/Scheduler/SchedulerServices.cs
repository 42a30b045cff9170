using Jobs.Scheduler.Schedules;
using Jobs.ServiceDefaults;
using MassTransit;
using Quartz;

namespace Jobs.Scheduler;

public static class SchedulerServices
{
    public static WebApplicationBuilder AddSchedulerServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres();
        var connectionString = Connections.PostgresConnectionString(builder.Configuration[Connections.PostgresKey]);
        var misfireThreshold = builder.Configuration.GetValue("Scheduler:MisfireThreshold", TimeSpan.FromSeconds(60));
        builder.Services.AddQuartz(quartz =>
        {
            // Schedules and their next fire times live in PostgreSQL; every Scheduler instance joins the cluster,
            // so each trigger fires on exactly one of them.
            quartz.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(5));
                store.ProvisionSchema();
                store.ConfigureStore(options => options.MisfireThreshold = misfireThreshold);
            });
            quartz.AddTriggerListener<MisfireListener>();
        });
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        builder.Services.AddOptions<FireOptions>().BindConfiguration("Scheduler:Fire").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ScheduleRuns>();
        builder.Services.AddSingleton<FailedFires>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FailedFires>());
        builder.Services.AddSingleton<ScheduleStore>();
        builder.Services.AddHostedService<ConfiguredSchedules>();
        builder.AddBus(x =>
        {
            x.AddConsumer<ScheduleCommandsConsumer, ScheduleCommandsConsumerDefinition>();
            x.AddConsumer<RootJobEndsConsumer, RootJobEndsConsumerDefinition>();
        });
        return builder;
    }
}
