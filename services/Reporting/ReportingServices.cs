using Jobs.Platforms;
using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting;

public static class ReportingServices
{
    /// <summary>The Redis key of the data protection key ring that protects the console's session cookies (Reporting's own).</summary>
    public const string DataProtectionKeys = "reporting:data-protection-keys";

    public static WebApplicationBuilder AddReportingServices(this WebApplicationBuilder builder)
    {
        builder.AddRedis().AddPostgres(owner: "reporting");
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
        builder.Services.AddSingleton<HookCatalog>();
        builder.Services.AddSingleton<JobRequestValidator>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<ApiKeys>();
        var authentication = builder.Services.AddAuthentication(ApiKeyAuthentication.CallerScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            // A call with an X-Api-Key header is the key's; any other is the console session's (its cookie), if any.
            .AddPolicyScheme(ApiKeyAuthentication.CallerScheme, "API key or console session", options => options.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(ApiKeyAuthentication.Header) ? ApiKeyAuthentication.SchemeName : Web.ConsoleSession.SchemeName);
        Web.ConsoleSession.AddCookie(authentication);
        // Session cookies stay readable across restarts and by every Reporting instance: the key ring lives in Redis.
        builder.Services.AddDataProtection().SetApplicationName("jobs-reporting");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((options, services) => options.XmlRepository =
            new RedisXmlRepository(() => services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase(), DataProtectionKeys));
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
