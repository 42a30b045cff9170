using Jobs.Reporting.Security;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Reporting.Tests;

public sealed class ReportingOptionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddReportingOptions();
        return services.BuildServiceProvider();
    }

    private static string[] PolicyRoles(SecurityOptions security, string operation)
    {
        var authorization = new AuthorizationOptions();
        Operations.AddPolicies(authorization, security);
        return authorization.GetPolicy(operation)!.Requirements.OfType<RolesAuthorizationRequirement>().Single().AllowedRoles.ToArray();
    }

    [Fact]
    public void Unset_keys_take_the_defaults_they_had_when_they_were_read_raw()
    {
        using var services = Services([]);
        var security = services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var reporting = services.GetRequiredService<IOptions<ReportingOptions>>().Value;

        Assert.Null(security.AdminKey);
        Assert.Equal((100, 200), (security.RateLimit.PermitsPerSecond, security.RateLimit.Burst));
        Assert.Equal([ApiKeys.User, ApiKeys.Service, ApiKeys.Internal], PolicyRoles(security, Operations.Read));
        Assert.Equal([ApiKeys.Internal], PolicyRoles(security, Operations.Manage));
        Assert.Equal(1L << 20, reporting.MaxRequestBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), reporting.SchedulerTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), reporting.OverviewRefresh);
    }

    [Fact]
    public void Configured_bindings_replace_an_operations_default_roles_and_the_policies_require_them()
    {
        using var services = Services(new()
        {
            ["Security:AdminKey"] = "secret",
            ["Security:RateLimit:PermitsPerSecond"] = "7",
            ["Security:Bindings:manage:0"] = "service",
            ["Security:Bindings:manage:1"] = "internal",
            ["Reporting:MaxRequestBytes"] = "4096",
            ["Reporting:SchedulerTimeout"] = "00:00:01",
        });
        var security = services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        var reporting = services.GetRequiredService<IOptions<ReportingOptions>>().Value;

        Assert.Equal("secret", security.AdminKey);
        Assert.Equal((7, 200), (security.RateLimit.PermitsPerSecond, security.RateLimit.Burst));
        Assert.Equal([ApiKeys.Service, ApiKeys.Internal], PolicyRoles(security, Operations.Manage));
        Assert.Equal([ApiKeys.Service, ApiKeys.Internal], PolicyRoles(security, Operations.Run));
        Assert.Equal((4096L, TimeSpan.FromSeconds(1)), (reporting.MaxRequestBytes, reporting.SchedulerTimeout));
    }

    [Fact]
    public void A_bad_rate_limit_an_unknown_operation_or_role_and_bad_limits_are_refused_naming_their_keys()
    {
        using var services = Services(new()
        {
            ["Security:RateLimit:Burst"] = "0",
            ["Security:Bindings:delete:0"] = "internal",
            ["Security:Bindings:run:1"] = "admin",
            ["Security:RolePlatforms:auditor:0"] = "reddit",
            ["Security:RoleSchedules:service:0"] = "reddit/*",
            ["Reporting:MaxRequestBytes"] = "0",
            ["Reporting:SchedulerTimeout"] = "00:00:00",
            ["Reporting:OverviewRefresh"] = "00:00:00",
        });

        var security = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SecurityOptions>>().Value);
        var reporting = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ReportingOptions>>().Value);

        Assert.Contains(security.Failures, f => f.StartsWith("Security:RateLimit:Burst:", StringComparison.Ordinal));
        Assert.Contains(security.Failures, f => f.StartsWith("Security:Bindings:delete:", StringComparison.Ordinal) && f.Contains("not an operation"));
        Assert.Contains(security.Failures, f => f.StartsWith("Security:Bindings:run:", StringComparison.Ordinal) && f.Contains("'admin' is not a role"));
        Assert.Contains(security.Failures, f => f.StartsWith("Security:RolePlatforms:auditor:", StringComparison.Ordinal) && f.Contains("'auditor' is not a role"));
        Assert.Contains(security.Failures, f => f.StartsWith("Security:RoleSchedules:service:", StringComparison.Ordinal) && f.Contains("'reddit/*' is not a schedule name"));
        Assert.Contains(reporting.Failures, f => f.Contains("Reporting:MaxRequestBytes:", StringComparison.Ordinal));
        Assert.Contains(reporting.Failures, f => f.Contains("Reporting:SchedulerTimeout:", StringComparison.Ordinal));
        Assert.Contains(reporting.Failures, f => f.Contains("Reporting:OverviewRefresh:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reporting_does_not_start_with_a_binding_to_an_unknown_role_and_says_which_key()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Security:Bindings:read:0"] = "guest",
            [Connections.RabbitMqKey] = "amqp://guest:guest@127.0.0.1:1/",
        });
        builder.AddServiceDefaults("reporting").AddReportingServices();
        await using var app = builder.Build();

        var failures = await OptionsFailures.OfAsync(() => app.StartAsync());

        Assert.Contains(failures, f => f.StartsWith("Security:Bindings:read:", StringComparison.Ordinal) && f.Contains("'guest'"));
    }
}
