using Jobs.Contracts;
using Jobs.Scheduler.Schedules;
using Jobs.ServiceDefaults;
using Jobs.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;

namespace Jobs.Scheduler.Tests;

public sealed class SchedulerOptionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSchedulerOptions();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Declared_schedules_are_read_with_their_keys_json_settings_and_the_default_policies()
    {
        using var services = Services(new()
        {
            ["Schedules:0:Name"] = "hourly",
            ["Schedules:0:Cron"] = "0 0 * * * ?",
            ["Schedules:0:Platform"] = "catalogue",
            ["Schedules:0:Settings:vendors:0"] = "shop_a",
            ["Schedules:0:Settings:vendors:1"] = "shop_b",
            ["Schedules:0:Settings:sync_interval_hours"] = "24",
            ["Schedules:0:Settings:dry"] = "true",
            ["Schedules:1:Name"] = "nightly",
            ["Schedules:1:Cron"] = "0 30 2 * * ?",
            ["Schedules:1:TimeZone"] = "Europe/Berlin",
            ["Schedules:1:Platform"] = "synthetic",
            ["Schedules:1:Misfire"] = "catch_up",
            ["Schedules:1:MaxCatchUp"] = "3",
            ["Schedules:1:Enabled"] = "false",
        });
        var options = services.GetRequiredService<IOptions<ScheduleOptions>>().Value;
        var scheduler = services.GetRequiredService<IOptions<SchedulerOptions>>().Value;

        Assert.Equal(["Schedules:0", "Schedules:1"], options.Schedules.Select(s => s.Key));
        var hourly = options.Schedules[0].Spec;
        Assert.Equal(("UTC", ScheduleMisfire.FireOnceNow, ScheduleOverlap.Skip, true, (int?)null),
            (hourly.TimeZone, hourly.Misfire, hourly.Overlap, hourly.Enabled, hourly.MaxCatchUp));
        Assert.Equal("""{"dry":true,"sync_interval_hours":24,"vendors":["shop_a","shop_b"]}""", hourly.Settings.GetRawText());
        var nightly = options.Schedules[1].Spec;
        Assert.Equal(("Europe/Berlin", ScheduleMisfire.CatchUp, false, (int?)3), (nightly.TimeZone, nightly.Misfire, nightly.Enabled, nightly.MaxCatchUp));
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromHours(6)), (scheduler.MisfireThreshold, scheduler.MaxRunAge));
    }

    [Fact]
    public void A_declared_schedule_with_a_bad_cron_time_zone_or_misfire_is_refused_naming_its_index_and_field()
    {
        using var services = Services(new()
        {
            ["Schedules:0:Name"] = "fine",
            ["Schedules:0:Cron"] = "0 0 * * * ?",
            ["Schedules:0:Platform"] = "synthetic",
            ["Schedules:1:Name"] = "broken",
            ["Schedules:1:Cron"] = "every day",
            ["Schedules:1:TimeZone"] = "Mars/Olympus",
            ["Schedules:1:Platform"] = "synthetic",
            ["Schedules:1:Misfire"] = "sometimes",
            ["Schedules:1:Enabled"] = "yes",
        });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ScheduleOptions>>().Value);

        Assert.Contains(error.Failures, f => f.StartsWith("Schedules:1:Cron: 'every day'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Schedules:1:TimeZone: 'Mars/Olympus'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Schedules:1:Misfire:", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Schedules:1:Enabled: 'yes'", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Failures, f => f.StartsWith("Schedules:0", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misfire_threshold_or_run_age_out_of_range_is_refused_naming_its_key()
    {
        using var services = Services(new() { ["Scheduler:MisfireThreshold"] = "00:00:00", ["Scheduler:MaxRunAge"] = "-01:00:00" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SchedulerOptions>>().Value);

        Assert.Contains(error.Failures, f => f.Contains("Scheduler:MisfireThreshold:", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Scheduler:MaxRunAge:", StringComparison.Ordinal));
    }

    private static WebApplication Scheduler(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults("scheduler").AddSchedulerServices();
        return builder.Build();
    }

    [Fact]
    public async Task The_bound_misfire_threshold_is_the_one_Quartzs_job_store_is_configured_with()
    {
        await using var app = Scheduler(new() { ["Scheduler:MisfireThreshold"] = "00:00:07" });

        Assert.Equal(TimeSpan.FromSeconds(7), app.Services.GetRequiredService<IOptionsMonitor<AdoJobStoreOptions>>().Get(Options.DefaultName).MisfireThreshold);
    }

    [Fact]
    public async Task The_Scheduler_does_not_start_with_a_bad_declared_schedule_and_says_which_key()
    {
        await using var app = Scheduler(new()
        {
            ["Schedules:0:Cron"] = "every day",
            [Connections.RabbitMqKey] = "amqp://guest:guest@127.0.0.1:1/",
        });

        var failures = await OptionsFailures.OfAsync(() => app.StartAsync());

        Assert.Contains(failures, f => f.StartsWith("Schedules:0:Cron: 'every day'", StringComparison.Ordinal));
    }
}
