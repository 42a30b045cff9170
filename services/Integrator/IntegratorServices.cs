using Jobs.Integrator.Consumers;
using Jobs.Integrator.Ledger;
using Jobs.Integrator.Persistence;
using Jobs.Integrator.RootJobs;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrator;

public static class IntegratorServices
{
    public static WebApplicationBuilder AddIntegratorServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddIntegratorComponents();
        builder.Services.AddHostedService<JobGaugesRefresher>();
        builder.AddBus(AddIntegratorConsumers);
        return builder;
    }

    /// <summary>What the Integrator's consumers and saga depend on (besides Redis and the bus); shared with the test harness.</summary>
    public static IServiceCollection AddIntegratorComponents(this IServiceCollection services)
    {
        services.AddSingleton<JobLedger>();
        services.AddSingleton<RunningRoots>();
        services.AddChildTimeoutOptions();
        services.AddSingleton<PlatformCatalog>();
        services.AddSingleton<HookCatalog>();
        services.AddSingleton<JobRequestValidator>();
        services.AddScoped<StartRootJobActivity>();
        services.AddScoped<FinishRootJobActivity>();
        services.AddScoped<HooksFinishedActivity>();
        return services;
    }

    /// <summary><c>Integrator:ChildTimeouts</c>, bound and validated at start (a bad policy names its key).</summary>
    public static IServiceCollection AddChildTimeoutOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<ChildTimeoutOptions>(ChildTimeoutOptions.Section).ValidateProblems(o => o.Problems());
        return services;
    }

    /// <summary>The Integrator's consumers and saga; shared with the test harness.</summary>
    public static void AddIntegratorConsumers(IBusRegistrationConfigurator x)
    {
        x.AddConsumer<StartRootJobConsumer, StartRootJobConsumerDefinition>();
        x.AddConsumer<ChildJobsFinishedConsumer, ChildJobsFinishedConsumerDefinition>();
        x.AddConsumer<ChildJobsTimedOutConsumer>();
        x.AddConsumer<EndStalledRootJobConsumer, EndStalledRootJobConsumerDefinition>();
        x.AddSagaStateMachine<RootJobStateMachine, RootJobState, RootJobStateDefinition>()
            .RedisRepository("saga:root-job:", expiry: TimeSpan.FromDays(30));
    }
}
