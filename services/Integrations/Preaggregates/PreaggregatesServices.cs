using Jobs.Integrations.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Jobs.Integrations.Preaggregates;

public static class PreaggregatesServices
{
    /// <summary>The <c>preaggregates</c> integration, its configuration (section <c>Preaggregates</c>), its readers and its writer.</summary>
    public static IServiceCollection AddPreaggregates(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PreaggregatesOptions>(configuration.GetSection(PreaggregatesOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        // One reader per kind of source; another database is one more class and one more line here.
        services.AddSingleton<IPreaggregateReader, PostgresPreaggregateReader>();
        services.AddSingleton<IPreaggregatesWriter, RedisPreaggregatesWriter>();
        services.AddSingleton<IIntegration, PreaggregatesIntegration>();
        return services;
    }
}
