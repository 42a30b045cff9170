using Jobs.Platforms;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting;

public static class ReportingServices
{
    public static WebApplicationBuilder AddReportingServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis().AddPostgres();
        builder.Services.AddReportingOptions();
        builder.Services.AddHttpClient("diagnostics", client => client.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<SystemDiagnostics>();
        builder.Services.AddSingleton<Jobs.Auditor.ReadModel.AuditTrailReader>();
        builder.Services.AddSingleton<Queries.JobQueries>();
        builder.Services.AddSingleton<Queries.JobEndWaiter>();
        builder.Services.AddSingleton<RabbitMqManagement>();
        builder.Services.AddSingleton<JobDetails.JobTreeQueries>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Overview.OverviewSnapshots>();
        builder.Services.AddSingleton<Overview.OverviewStream>();
        builder.Services.AddSingleton<PlatformCatalog>();
        builder.Services.AddSingleton<JobRequestValidator>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddOptions<AuthorizationOptions>().Configure<IOptions<SecurityOptions>>((options, security) => Operations.AddPolicies(options, security.Value));
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<SecurityOptions>>((options, security) => RateLimits.Configure(options, security.Value.RateLimit));
        builder.AddRequestLimits();
        builder.Services.AddExceptionHandler<Unavailable>();
        builder.AddBus(SchedulesEndpoints.AddScheduleClients);
        return builder;
    }

    /// <summary><c>Security</c> and <c>Reporting</c>, bound and validated at start (a bad value names its key).</summary>
    public static IServiceCollection AddReportingOptions(this IServiceCollection services)
    {
        services.AddValidatedOptions<SecurityOptions>(SecurityOptions.Section).ValidateProblems(o => o.Problems());
        services.AddValidatedOptions<ReportingOptions>(ReportingOptions.Section);
        return services;
    }
}
