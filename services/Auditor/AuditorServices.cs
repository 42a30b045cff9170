using Jobs.Auditor.Audit;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Jobs.Auditor;

public static class AuditorServices
{
    public static WebApplicationBuilder AddAuditorServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres(owner: "auditor").AddRedis();
        builder.Services.AddAuditorOptions();
        builder.Services.AddSingleton<Jobs.Platforms.PlatformCatalog>();
        builder.Services.AddHostedService<StuckJobSweeper>();
        builder.Services.AddSingleton(services => new DataAudits(services.GetRequiredService<IOptions<AuditorOptions>>().Value.DataAudits));
        builder.Services.AddHostedService<AuditMigrator>();
        builder.Services.AddSingleton<AuditWriter>();
        builder.AddBus(x => x.AddConsumer<JobEventsConsumer, JobEventsConsumerDefinition>());
        return builder;
    }

    /// <summary>The <c>Auditor</c> section, bound and validated at start (an invalid value stops the service with the reason).</summary>
    public static OptionsBuilder<AuditorOptions> AddAuditorOptions(this IServiceCollection services) =>
        services.AddValidatedOptions<AuditorOptions>(AuditorOptions.Section);
}
