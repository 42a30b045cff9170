using Jobs.Auditor.Audit;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Jobs.Auditor;

public static class AuditorServices
{
    public static WebApplicationBuilder AddAuditorServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres().AddRedis();
        builder.Services.AddSingleton<Jobs.Platforms.PlatformCatalog>();
        builder.Services.AddHostedService<StuckJobSweeper>();
        builder.Services.AddSingleton(new DataAudits(builder.Configuration.GetSection("Auditor:DataAudits").Get<List<DataAuditRule>>() ?? []));
        builder.Services.AddDbContext<AuditDbContext>((services, options) => options.UseNpgsql(services.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        builder.Services.AddHostedService<AuditMigrator>();
        builder.AddBus(x => x.AddConsumer<JobEventsConsumer, JobEventsConsumerDefinition>());
        return builder;
    }
}
