using Jobs.Integrator;
using Jobs.Integrator.Consumers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Jobs.Integrator.Tests;

public sealed class ChildTimeoutOptionsTests
{
    private static IOptions<ChildTimeoutOptions> Bind(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddChildTimeoutOptions();
        return services.BuildServiceProvider().GetRequiredService<IOptions<ChildTimeoutOptions>>();
    }

    [Fact]
    public void Policies_are_bound_from_the_section_with_defaults_for_what_is_not_set()
    {
        var options = Bind(new()
        {
            ["Integrator:ChildTimeouts:Platforms:movies:Policy"] = "retry",
            ["Integrator:ChildTimeouts:Platforms:movies:MaxRetries"] = "3",
        }).Value;

        Assert.Equal((ChildTimeoutPolicy.Fail, 1), (options.Default.Policy, options.Default.MaxRetries));
        Assert.Equal((ChildTimeoutPolicy.Retry, 3), (options.For("movies").Policy, options.For("movies").MaxRetries));
        Assert.Same(options.Default, options.For("catalogue"));
    }

    [Fact]
    public void An_unknown_policy_or_a_negative_retry_count_is_refused_naming_its_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new()
        {
            ["Integrator:ChildTimeouts:Default:MaxRetries"] = "-1",
            ["Integrator:ChildTimeouts:Platforms:movies:Policy"] = "retyr",
        }).Value);

        Assert.Contains(error.Failures, f => f.StartsWith("Integrator:ChildTimeouts:Default:", StringComparison.Ordinal) && f.Contains("MaxRetries"));
        Assert.Contains(error.Failures, f => f.StartsWith("Integrator:ChildTimeouts:Platforms:movies:", StringComparison.Ordinal) && f.Contains("Policy"));
    }
}
