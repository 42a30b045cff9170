using Jobs.Integrations.Catalogue;
using Jobs.Integrations.Hosting;
using Jobs.Integrations.Preaggregates;
using Jobs.Integrations.Movies;
using Jobs.Integrations.Hosting.Http;
using Jobs.Integrations.Synthetic;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrations;

public static class IntegrationsServices
{
    public static WebApplicationBuilder AddIntegrationsServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis().AddPostgres();
        builder.Services.AddOptions<IntegrationsOptions>().Bind(builder.Configuration.GetSection("Integrations"))
            .Validate(o => o.Problems().Count == 0, "Integrations: ChildDeadline and Deadlines must be positive, AbandonGrace not negative, MaxBatchStarts at least 1")
            .ValidateOnStart();
        PoliteHttpFactory.Register(builder.Services, builder.Configuration);
        builder.Services.AddSingleton<IIntegration, SyntheticIntegration>();
        builder.Services.AddPreaggregates(builder.Configuration);
        builder.Services.AddSingleton<IIntegration, MoviesIntegration>();
        CatalogueIntegration.Register(builder.Services, builder.Configuration);
        Reddit.RedditIntegration.Register(builder.Services, builder.Configuration);
        builder.Services.AddSingleton<IntegrationRegistry>();
        builder.Services.AddSingleton<PlatformCatalog>();
        builder.Services.AddSingleton<ChildJobRunner>();
        builder.Services.AddSingleton<RunningJobs>();
        builder.Services.AddHostedService<PlatformRegistration>();
        builder.AddBus(
            x =>
            {
                x.AddConsumer<RunChildJobsConsumer>().ExcludeFromConfigureEndpoints();
                // A queue per process, deleted with it: every process must hear every cancellation.
                x.AddConsumer<JobCancellationConsumer>().Endpoint(e =>
                {
                    e.Temporary = true;
                    e.InstanceId = $"-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
                });
            },
            IntegrationEndpoints.Configure);
        return builder;
    }
}
