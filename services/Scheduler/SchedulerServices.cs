using Jobs.Scheduler.Schedules;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Quartz;

namespace Jobs.Scheduler;

public static class SchedulerServices
{
    public static WebApplicationBuilder AddSchedulerServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres();
        builder.Services.AddSchedulerOptions();
        // Quartz keeps its own connections (its data source is defined while the scheduler is registered), so it is
        // given the connection string here, read where every address is read (ServiceDefaults' Connections).
        var connectionString = Connections.Read(builder.Configuration).PostgresConnectionString;
        builder.Services.AddQuartz(quartz =>
        {
            // Schedules and their next fire times live in PostgreSQL; every Scheduler instance joins the cluster,
            // so each trigger fires on exactly one of them.
            quartz.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(5));
                store.ProvisionSchema();
            });
            quartz.AddTriggerListener<MisfireListener>();
        });
        // The job store's settings are options in Quartz 4 (AdoJobStoreOptions, read when the scheduler is built), so the
        // misfire threshold comes from the bound, validated Scheduler options rather than from configuration at registration.
        builder.Services.AddOptions<AdoJobStoreOptions>().Configure<IOptions<SchedulerOptions>>((store, scheduler) =>
            store.MisfireThreshold = scheduler.Value.MisfireThreshold);
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        builder.Services.AddSingleton<ScheduleRuns>();
        builder.Services.AddSingleton<FailedFires>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FailedFires>());
        builder.Services.AddSingleton<ScheduleStore>();
        builder.Services.AddSingleton<Backfills>();
        builder.Services.AddHostedService<ConfiguredSchedules>();
        builder.Services.AddHostedService<BackfillSweeper>();
        builder.AddBus(x =>
        {
            x.AddConsumer<ScheduleCommandsConsumer, ScheduleCommandsConsumerDefinition>();
            x.AddConsumer<RootJobEndsConsumer, RootJobEndsConsumerDefinition>();
        });
        return builder;
    }

    /// <summary><c>Scheduler</c>, <c>Scheduler:Fire</c> and <c>Schedules</c>, bound and validated at start (a bad value names its key).</summary>
    public static IServiceCollection AddSchedulerOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<SchedulerOptions>(SchedulerOptions.Section);
        services.AddValidatedOptions<FireOptions>("Scheduler:Fire");
        services.AddOptions<ScheduleOptions>().Configure<IConfiguration>(ScheduleOptions.Fill).ValidateProblems(o => o.Problems()).ValidateOnStart();
        return services;
    }
}
