using Jobs.Plugins.Storage;
using System.Text.Json;
using Jobs.Plugins.Catalogue;
using Jobs.Platforms;
using Jobs.TestSupport;
using Microsoft.Extensions.Options;

namespace Jobs.Integrations.Tests.Catalogue;

public sealed class CatalogueSettingsTests
{
    private static readonly IReadOnlyList<SettingDescriptor> Schema =
        new CatalogueIntegration(new VendorCatalog(Options.Create(new CatalogueOptions())), Options.Create(new CatalogueOptions()),
            new StorageTargets(Options.Create(new StorageOptions()))).Describe().Settings;

    [Fact]
    public void When_publishing_the_schema_Should_offer_snake_case_settings_with_defaults_and_the_two_modes()
    {
        Assert.Equal(["mode", "vendors", "base_url", "vendor_definition", "sync_interval_hours", "link_cache_days", "storage", "failure_policy", "hooks"], Schema.Select(s => s.Name));
        var mode = Schema.Single(s => s.Name == "mode");
        Assert.Equal(["sync", "sync-links"], mode.AllowedValues);
        Assert.Equal("sync", mode.Default?.GetString());
        Assert.Equal(("string[]", "object"), (Schema.Single(s => s.Name == "vendors").Type, Schema.Single(s => s.Name == "vendor_definition").Type));
        Assert.Equal((24.0, 7.0), (Schema.Single(s => s.Name == "sync_interval_hours").Default!.Value.GetDouble(),
            Schema.Single(s => s.Name == "link_cache_days").Default!.Value.GetDouble()));
    }

    [Theory]
    [InlineData("catalogue-sync-links")]
    [InlineData("catalogue-sync")]
    public void When_the_scheduler_ships_a_catalogue_schedule_Should_its_settings_be_valid_and_name_configured_vendors(string name)
    {
        using var appsettings = JsonDocument.Parse(File.ReadAllText(Path.Combine(ServiceSystem.RepositoryRoot(), "services", "Scheduler", "appsettings.json")));
        var schedule = appsettings.RootElement.GetProperty("Schedules").EnumerateArray().Single(s => s.GetProperty("Name").GetString() == name);

        var validation = SettingsValidator.Validate(Schema, schedule.GetProperty("Settings"));

        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        Assert.Equal("catalogue", schedule.GetProperty("Platform").GetString());
        var settings = validation.Settings.Deserialize<CatalogueSettings>(SettingsJson.Options)!;
        var vendors = new VendorCatalog(Options.Create(new CatalogueOptions()));
        Assert.All(settings.Vendors, v => Assert.NotNull(vendors.Find(v)));
        Assert.Equal(name == "catalogue-sync-links" ? CatalogueSettings.SyncLinks : CatalogueSettings.Sync, settings.Mode);
    }
}
