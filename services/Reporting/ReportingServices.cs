using Jobs.Platforms;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;

namespace Jobs.Reporting;

public static class ReportingServices
{
    public static WebApplicationBuilder AddReportingServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis().AddPostgres();
        builder.Services.AddHttpClient("diagnostics", client => client.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<SystemDiagnostics>();
        builder.Services.AddSingleton<Jobs.Auditor.ReadModel.AuditTrailReader>();
        builder.Services.AddSingleton<Queries.JobQueries>();
        builder.Services.AddSingleton<Queries.JobEndWaiter>();
        builder.Services.AddSingleton<PlatformCatalog>();
        builder.Services.AddSingleton<JobRequestValidator>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(options => Operations.AddPolicies(options, builder.Configuration));
        builder.Services.AddRateLimiter(options => RateLimits.Configure(options, builder.Configuration));
        builder.AddRequestLimits();
        builder.Services.AddExceptionHandler<Unavailable>();
        builder.AddBus(x => SchedulesEndpoints.AddScheduleClients(x, builder.Configuration));
        return builder;
    }
}
