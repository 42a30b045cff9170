using Jobs.Platforms;
using Jobs.ServiceDefaults;

namespace Jobs.Reporting;

public static class ReportingServices
{
    public static WebApplicationBuilder AddReportingServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddSingleton<PlatformCatalog>();
        builder.Services.AddSingleton<JobRequestValidator>();
        builder.Services.AddProblemDetails();
        builder.AddBus(_ => { });
        return builder;
    }
}
