using System.Text.Json;
using Jobs.Plugins.Reddit;
using Jobs.Platforms;
using Jobs.TestSupport;

namespace Jobs.Integrations.Tests.Reddit;

public sealed class RedditSettingsTests
{
    private static readonly IReadOnlyList<SettingDescriptor> Schema = SettingsSchema.For<RedditSettings>();

    private static SettingDescriptor Setting(string name) => Schema.Single(s => s.Name == name);

    [Fact]
    public void When_the_schema_is_built_Should_mark_the_client_secret_secret_require_subreddits_and_bound_the_paging()
    {
        Assert.Equal(
            ["subreddits", "api_base_url", "token_url", "client_id", "client_secret", "user_agent", "page_limit", "max_pages", "first_run_pages", "storage"],
            Schema.Select(s => s.Name));
        Assert.Equal(("object", false), (Setting("storage").Type, Setting("storage").Required));
        Assert.Equal(["client_secret"], Schema.Where(s => s.Secret).Select(s => s.Name));
        Assert.Equal(("string[]", true), (Setting("subreddits").Type, Setting("subreddits").Required));
        Assert.Equal((1.0, 100.0, 100), (Setting("page_limit").Minimum, Setting("page_limit").Maximum, Setting("page_limit").Default?.GetInt32()));
        Assert.Equal(1, Setting("first_run_pages").Default?.GetInt32());
        Assert.All(Schema, s => Assert.False(string.IsNullOrWhiteSpace(s.Description), s.Name));

        var invalid = SettingsValidator.Validate(Schema, JsonDocument.Parse("""{"page_limit": 101, "subreddits": "askreddit"}""").RootElement);
        Assert.Equal(["page_limit", "subreddits"], invalid.Errors.Keys.Order());
    }

    [Fact]
    public void When_job_settings_or_a_child_step_carry_the_client_secret_Should_mask_it_and_nothing_else()
    {
        var platform = new RedditIntegration(Microsoft.Extensions.Options.Options.Create(new RedditOptions()),
            new Jobs.Plugins.Storage.StorageTargets(Microsoft.Extensions.Options.Options.Create(new Jobs.Plugins.Storage.StorageOptions()))).Describe();
        var settings = JsonDocument.Parse("""{"subreddits": ["askreddit"], "client_id": "app-id", "client_secret": "s3cr3t"}""").RootElement;
        var step = JsonSerializer.SerializeToElement(new RedditStep { Subreddit = "askreddit", ClientId = "app-id", ClientSecret = "s3cr3t" },
            SettingsJson.Options);

        var masked = SecretMasking.Apply(settings, platform);
        var maskedStep = SecretMasking.Apply(step, null);

        Assert.Equal(("***", "app-id"), (masked.GetProperty("client_secret").GetString(), masked.GetProperty("client_id").GetString()));
        Assert.Equal(("***", "app-id"), (maskedStep.GetProperty("client_secret").GetString(), maskedStep.GetProperty("client_id").GetString()));
        Assert.DoesNotContain("s3cr3t", masked.GetRawText() + maskedStep.GetRawText());
    }

    [Fact]
    public void When_job_settings_or_a_child_step_carry_a_storage_password_Should_mask_it_and_keep_where_the_rows_go()
    {
        var platform = new RedditIntegration(Microsoft.Extensions.Options.Options.Create(new RedditOptions()),
            new Jobs.Plugins.Storage.StorageTargets(Microsoft.Extensions.Options.Options.Create(new Jobs.Plugins.Storage.StorageOptions()))).Describe();
        var storage = new Jobs.Plugins.Storage.StorageSettings
        {
            Type = "mysql",
            Settings = new Jobs.Plugins.Storage.StorageTargetSettings { Hostname = "db.internal", Db = "jobs", Username = "loader", Password = "st0rage-pw" },
        };
        var settings = JsonSerializer.SerializeToElement(new RedditSettings { Subreddits = ["askreddit"], Storage = storage }, SettingsJson.Options);
        var step = JsonSerializer.SerializeToElement(new RedditStep { Subreddit = "askreddit", Storage = storage }, SettingsJson.Options);

        var masked = SecretMasking.Apply(settings, platform);
        var maskedStep = SecretMasking.Apply(step, null);

        foreach (var shown in new[] { masked, maskedStep })
        {
            var target = shown.GetProperty("storage").GetProperty("settings");
            Assert.Equal(("***", "db.internal", "loader"),
                (target.GetProperty("password").GetString(), target.GetProperty("hostname").GetString(), target.GetProperty("username").GetString()));
        }

        Assert.DoesNotContain("st0rage-pw", masked.GetRawText() + maskedStep.GetRawText());
    }

    [Fact]
    public void When_the_reference_schedule_is_read_Should_fire_every_five_minutes_stay_disabled_and_carry_settings_the_schema_accepts()
    {
        using var appsettings = JsonDocument.Parse(File.ReadAllText(Path.Combine(ServiceSystem.RepositoryRoot(), "services", "Scheduler", "appsettings.json")));
        var schedule = appsettings.RootElement.GetProperty("Schedules").EnumerateArray()
            .Single(s => s.GetProperty("Name").GetString() == "reddit-new-submissions");

        Assert.Equal(("0 */5 * * * ?", "reddit", false, "skip"),
            (schedule.GetProperty("Cron").GetString(), schedule.GetProperty("Platform").GetString(), schedule.GetProperty("Enabled").GetBoolean(),
                schedule.GetProperty("Overlap").GetString()));
        var validation = SettingsValidator.Validate(Schema, schedule.GetProperty("Settings"));
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        var settings = validation.Settings.Deserialize<RedditSettings>(SettingsJson.Options)!;
        Assert.NotEmpty(RedditIntegration.Normalize(settings.Subreddits));
        Assert.Null(settings.ClientSecret);
    }
}
