using System.Text.Json;
using Jobs.Contracts;
using Jobs.Scheduler.Schedules;
using Quartz;

namespace Jobs.Scheduler.Tests;

public sealed class ScheduleDefinitionTests
{
    private static readonly JsonElement Settings = JsonSerializer.SerializeToElement(new { children = 1 });

    private static ScheduleSpec Spec(string cron = "0 30 2 * * ?", string zone = "Europe/Berlin", string misfire = ScheduleMisfire.FireOnceNow,
        string overlap = ScheduleOverlap.Skip) =>
        new("daily", cron, zone, "synthetic", Settings, misfire, overlap, true);

    [Fact]
    public void A_definition_with_several_problems_is_rejected_with_all_of_them()
    {
        var error = Assert.Throws<InvalidScheduleException>(() =>
            ScheduleStore.Build(new ScheduleSpec("", "every day", "Mars/Olympus", "", Settings, "sometimes", "never", true)));

        Assert.Contains("name: is required", error.Message);
        Assert.Contains("platform: is required", error.Message);
        Assert.Contains("cron: 'every day'", error.Message);
        Assert.Contains("timeZone: 'Mars/Olympus'", error.Message);
        Assert.Contains("misfire:", error.Message);
        Assert.Contains("overlap:", error.Message);
    }

    [Theory]
    [InlineData(ScheduleMisfire.FireOnceNow, CronTriggerMisfireInstruction.FireAndProceed)]
    [InlineData(ScheduleMisfire.Skip, CronTriggerMisfireInstruction.DoNothing)]
    public void The_misfire_policy_becomes_the_trigger_instruction(string policy, CronTriggerMisfireInstruction instruction)
    {
        var (job, trigger) = ScheduleStore.Build(Spec(misfire: policy));

        Assert.Equal(instruction, ((ICronTrigger)trigger).MisfireInstruction);
        Assert.Equal("Europe/Berlin", ((ICronTrigger)trigger).TimeZone.Id);
        Assert.Equal("synthetic", job.JobDataMap.GetString(ScheduleStore.PlatformKey));
        Assert.Equal(Settings.GetRawText(), job.JobDataMap.GetString(ScheduleStore.SettingsKey));
    }

    [Theory]
    [InlineData("2026-03-29", "03:00")] // spring forward: 02:30 does not exist; the run happens once, when the clock jumps to 03:00 CEST
    [InlineData("2026-10-25", "02:30")] // fall back: 02:30 happens twice, the run happens once
    [InlineData("2026-06-15", "02:30")]
    public void A_daily_0230_Berlin_schedule_fires_exactly_once_on_every_day_including_DST_changes(string day, string expectedLocalTime)
    {
        var (_, built) = ScheduleStore.Build(Spec());
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var date = DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture);
        var from = new DateTimeOffset(date.AddDays(-1).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var until = from.AddDays(3);
        var trigger = built.GetTriggerBuilder().StartAt(from).Build();

        var fires = new List<DateTimeOffset>();
        for (var t = trigger.GetFireTimeAfter(from); t is { } fire && fire < until; t = trigger.GetFireTimeAfter(fire)) fires.Add(fire);

        var local = fires.Select(f => TimeZoneInfo.ConvertTime(f, zone)).ToList();
        var onDay = local.Where(f => DateOnly.FromDateTime(f.DateTime) == date).ToList();
        var only = Assert.Single(onDay);
        Assert.Equal(expectedLocalTime, only.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, local.Count);
    }

    [Fact]
    public void Catch_up_keeps_the_latest_fire_times_after_the_last_run_oldest_first_and_counts_the_ones_left_out()
    {
        var since = new DateTimeOffset(2026, 3, 28, 10, 0, 0, TimeSpan.Zero);
        var (slots, skipped) = CatchUp.Slots("0 0 * * * ?", TimeZoneInfo.Utc, since, since.AddHours(5), keep: 3);

        Assert.Equal([since.AddHours(3), since.AddHours(4), since.AddHours(5)], slots);
        Assert.Equal(2, skipped);
    }

    [Fact]
    public void Catch_up_over_the_spring_forward_night_owes_each_local_fire_time_once()
    {
        // 02:30 Europe/Berlin does not exist on 2026-03-29: the daily schedule fires at 03:00 that day, once.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var since = new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero);
        var (slots, skipped) = CatchUp.Slots("0 30 2 * * ?", zone, since, since.AddDays(3), keep: 10);

        Assert.Equal(0, skipped);
        Assert.Equal(["03-28 02:30", "03-29 03:00", "03-30 02:30"],
            slots.Select(s => TimeZoneInfo.ConvertTime(s, zone).ToString("MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void A_catch_up_schedule_with_a_max_catch_up_out_of_range_is_refused_naming_it()
    {
        var spec = new ScheduleSpec("s", "0 0 * * * ?", "UTC", "synthetic", JsonDocument.Parse("{}").RootElement, ScheduleMisfire.CatchUp,
            ScheduleOverlap.Allow, true, MaxCatchUp: 5000);

        var error = Assert.Throws<InvalidScheduleException>(() => ScheduleStore.Build(spec));

        Assert.Contains("maxCatchUp: must be between 0 and 1000", error.Message);
    }
}
