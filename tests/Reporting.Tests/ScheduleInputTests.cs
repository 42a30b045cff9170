using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Jobs.Reporting.Tests;

/// <summary>
/// What Reporting refuses itself before asking the Scheduler (none runs here: what passes is answered 503 after the short
/// <c>Reporting:SchedulerTimeout</c> of the fixture).
/// </summary>
public sealed class ScheduleInputTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_schedule_with_an_unknown_placeholder_is_refused_with_400_naming_the_setting_and_the_known_placeholders()
    {
        var (status, problem) = await ReadAsync(await reporting.Client.PutAsJsonAsync("/schedules/placeholders", new
        {
            cron = "0 0 * * * ?", platform = reporting.Platform,
            settings = new { filter = new { rules = new[] { new { pattern = "{interval_begin}" } } }, since = "{interval_start:yyyy-MM-dd}" },
        }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = Assert.Single(problem.GetProperty("errors").GetProperty("settings.filter.rules[0].pattern").EnumerateArray()).GetString();
        Assert.Contains("unknown placeholder '{interval_begin}'", error);
        Assert.Contains("{interval_start}, {interval_end}", error);
        // The date setting holding a formatted placeholder is valid: it is a date once the interval is known.
        Assert.False(problem.GetProperty("errors").TryGetProperty("settings.since", out _), problem.ToString());
    }

    [Fact]
    public async Task A_schedule_whose_date_setting_is_a_formatted_interval_placeholder_passes_the_settings_check()
    {
        var response = await reporting.Client.PutAsJsonAsync("/schedules/placeholders-ok", new
        {
            cron = "0 0 * * * ?", platform = reporting.Platform, settings = new { since = "{interval_start:yyyy-MM-dd}" },
        });

        // Valid: sent to the Scheduler, which does not run here.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task A_backfill_without_its_range_is_refused_with_400_naming_from_and_to()
    {
        var (status, problem) = await ReadAsync(await reporting.Client.PostAsJsonAsync("/schedules/any/backfill", new { maxConcurrent = 2 }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem.GetProperty("errors");
        Assert.Contains("is required", errors.GetProperty("from")[0].GetString());
        Assert.Contains("is required", errors.GetProperty("to")[0].GetString());
    }

    [Fact]
    public async Task A_backfill_whose_body_is_not_a_backfill_is_refused_with_400()
    {
        var response = await reporting.Client.PostAsync("/schedules/any/backfill",
            new StringContent("""{"from": "yesterday", "to": 3}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, (await ReadAsync(response)).Status);
    }
}
