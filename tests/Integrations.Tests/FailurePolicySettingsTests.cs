using Jobs.Plugins.Storage;
using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Plugins.Catalogue;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Http;
using Jobs.Plugins.Movies;
using Jobs.Plugins.Preaggregates;
using Jobs.Plugins.Synthetic;
using Jobs.Platforms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests;

/// <summary>What each platform publishes about failures: its required tasks and the <c>failure_policy</c> setting with its default.</summary>
public sealed class FailurePolicySettingsTests(HostFixture host) : IClassFixture<HostFixture>
{
    private IEnumerable<IIntegration> BuiltIn()
    {
        yield return new SyntheticIntegration();
        yield return new MoviesIntegration(new PoliteHttpFactory(host.Redis, Options.Create(new PoliteHttpOptions())), Options.Create(new MoviesOptions()),
            new StorageTargets(Options.Create(new StorageOptions())));
        yield return new CatalogueIntegration(new VendorCatalog(Options.Create(new CatalogueOptions())), Options.Create(new CatalogueOptions()),
            new StorageTargets(Options.Create(new StorageOptions())));
        yield return new PreaggregatesIntegration(Options.Create(new PreaggregatesOptions()), [], new RedisPreaggregatesWriter(host.Redis), TimeProvider.System);
    }

    [Theory]
    [InlineData("synthetic", new string[0])]
    [InlineData("movies", new[] { "load" })]
    [InlineData("catalogue", new[] { "sync-links" })]
    [InlineData("preaggregates", new[] { "synchronize" })]
    public void When_a_platform_is_described_Should_name_the_tasks_whose_failure_fails_the_root(string platform, string[] required)
    {
        var descriptor = BuiltIn().Single(i => i.Name == platform).Describe();

        Assert.Equal(required, descriptor.RequiredTasks);
        Assert.All(required, task => Assert.True(descriptor.IsRequired(task)));
        Assert.False(descriptor.IsRequired("entry-of-something-else"));
    }

    [Fact]
    public void When_a_platform_is_described_Should_offer_failure_policy_continue_or_fail_fast_defaulting_to_continue()
    {
        Assert.All(BuiltIn().Select(i => i.Describe()), descriptor =>
        {
            var setting = descriptor.Settings.Single(s => s.Name == FailurePolicy.SettingName);
            Assert.Equal(("string", FailurePolicy.Continue, false), (setting.Type, setting.Default?.GetString(), setting.Required));
            Assert.Equal([FailurePolicy.Continue, FailurePolicy.FailFast], setting.AllowedValues);
        });
    }

    [Fact]
    public void When_settings_name_a_failure_policy_Should_keep_it_and_refuse_an_unknown_one()
    {
        var schema = new SyntheticIntegration().Describe().Settings;

        var failFast = SettingsValidator.Validate(schema, JsonSerializer.SerializeToElement(new { failure_policy = "fail_fast" }));
        var none = SettingsValidator.Validate(schema, JsonSerializer.SerializeToElement(new { children = 2 }));
        var unknown = SettingsValidator.Validate(schema, JsonSerializer.SerializeToElement(new { failure_policy = "sometimes" }));

        Assert.Equal(FailurePolicy.FailFast, FailurePolicy.Of(failFast.Settings));
        Assert.Equal(FailurePolicy.Continue, FailurePolicy.Of(none.Settings));
        Assert.Contains("must be one of: continue, fail_fast", unknown.Errors[FailurePolicy.SettingName].Single());
    }
}
