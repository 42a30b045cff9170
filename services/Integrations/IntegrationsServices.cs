using Jobs.Integrations.Hooks;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Catalogue;
using Jobs.Plugins.Http;
using Jobs.Plugins.Movies;
using Jobs.Plugins.Preaggregates;
using Jobs.Plugins.Reddit;
using Jobs.Plugins.Rest;
using Jobs.Plugins.Storage;
using Jobs.Plugins.Synthetic;
using Jobs.Platforms;
using Jobs.ServiceDefaults;
using MassTransit;

namespace Jobs.Integrations;

public static class IntegrationsServices
{
    public static WebApplicationBuilder AddIntegrationsServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis().AddPostgres();
        builder.Services.AddValidatedOptions<IntegrationsOptions>(IntegrationsOptions.Section).ValidateProblems(o => o.Problems());
        PoliteHttpFactory.Register(builder.Services);
        // Where a job's `storage` setting may land its rows (named targets, allowed hosts and directories).
        StorageTargets.Register(builder.Services);
        // Every plugin the same way: its project under plugins/, one line here (Integrations:Enabled narrows what runs).
        builder.AddPlugin<SyntheticPlugin>();
        builder.AddPlugin<PreaggregatesPlugin>();
        builder.AddPlugin<MoviesPlugin>();
        builder.AddPlugin<CataloguePlugin>();
        builder.AddPlugin<RedditPlugin>();
        builder.AddPlugin<RestPlugin>();
        // The built-in hooks every job may name in its `hooks` setting (a plugin adds its own with PluginBuilder.AddHook).
        new PluginBuilder(builder.Services).AddHook<WebhookHook>().AddHook<SqlHook>().AddHook<RequireFreshHook>()
            .AddOptions<SqlHookOptions>(SqlHookOptions.Section).ValidateProblems(o => o.Problems());
        builder.Services.AddSingleton<IntegrationRegistry>();
        builder.Services.AddSingleton<PlatformCatalog>();
        builder.Services.AddSingleton<HookCatalog>();
        builder.Services.AddSingleton<PlatformDatabases>();
        builder.Services.AddSingleton<ChildJobRunner>();
        builder.Services.AddSingleton<HookRunner>();
        builder.Services.AddSingleton<RunningJobs>();
        builder.Services.AddHostedService<PlatformRegistration>();
        builder.Services.AddValidatedOptions<HeartbeatOptions>(HeartbeatOptions.Section);
        builder.Services.AddHostedService<WorkerHeartbeats>();
        builder.AddBus(
            x =>
            {
                x.AddConsumer<RunChildJobsConsumer>().ExcludeFromConfigureEndpoints();
                x.AddConsumer<RunJobHooksConsumer>().ExcludeFromConfigureEndpoints();
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
