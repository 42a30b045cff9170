using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Plugins.Preaggregates;

namespace Jobs.Reporting.Tests;

/// <summary><c>GET /data/preaggregates</c> reads back what the preaggregates integration published in Redis.</summary>
public sealed class PreaggregatesQueriesTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>, IAsyncLifetime
{
    private readonly string _view = $"test-{Guid.NewGuid():N}"[..20];

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await reporting.Redis.GetDatabase().KeyDeleteAsync(PreaggregatesKeys.Document(_view));

    [Fact]
    public async Task When_the_integration_has_published_a_view_Should_return_its_sources_and_synchronized_time_with_their_offsets()
    {
        var metadata = new PreaggregatesMetadata(_view, At("2024-03-11T08:00:00Z"), "block",
            new PreaggregatesSynchronized(null, new PreaggregatesWindow(At("2024-03-08T08:00:00Z"), At("2024-03-10T08:00:00Z")),
                At("2024-03-10T08:00:00Z"), 86400, ["la", "berlin"], ["berlin"], [], null),
            [
                new PreaggregatesSource("la", "postgres", "America/Los_Angeles", PreaggregatesStatus.Ok, null, At("2024-03-11T08:00:00Z"), null,
                    new PreaggregatesWindow(At("2024-03-08T00:00:00-08:00"), At("2024-03-11T00:00:00-07:00")), At("2024-03-11T00:00:00-07:00"), 3600),
                new PreaggregatesSource("berlin", "postgres", "Europe/Berlin", PreaggregatesStatus.Stale, "NpgsqlException: Failed to connect",
                    At("2024-03-10T12:00:00Z"), null, new PreaggregatesWindow(At("2024-03-08T00:00:00+01:00"), At("2024-03-10T09:00:00+01:00")),
                    At("2024-03-10T09:00:00+01:00"), 82800),
            ]);
        await reporting.Redis.GetDatabase().StringSetAsync(PreaggregatesKeys.Document(_view), JsonSerializer.Serialize(metadata, JsonSerializerOptions.Web));

        var response = await reporting.Client.GetAsync($"/data/preaggregates?view={_view}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var la = body.GetProperty("sources")[0];
        Assert.Equal("2024-03-11T00:00:00-07:00", la.GetProperty("daily").GetProperty("until").GetString());
        Assert.Equal("2024-03-08T00:00:00-08:00", la.GetProperty("daily").GetProperty("from").GetString());
        var berlin = body.GetProperty("sources")[1];
        Assert.Equal(("stale", "NpgsqlException: Failed to connect"), (berlin.GetProperty("status").GetString(), berlin.GetProperty("error").GetString()));
        Assert.Equal("2024-03-10T08:00:00+00:00", body.GetProperty("synchronized").GetProperty("completeUntil").GetString());
        Assert.Equal(["berlin"], body.GetProperty("synchronized").GetProperty("stale").EnumerateArray().Select(s => s.GetString()));
        var typed = body.Deserialize<PreaggregatesMetadata>(JsonSerializerOptions.Web)!;
        Assert.Equal((metadata.View, metadata.ComputedAt, metadata.DownPolicy), (typed.View, typed.ComputedAt, typed.DownPolicy));
        Assert.Equal(metadata.Sources, typed.Sources);
        Assert.Equal((metadata.Synchronized.Daily, metadata.Synchronized.CompleteUntil, metadata.Synchronized.LagSeconds),
            (typed.Synchronized.Daily, typed.Synchronized.CompleteUntil, typed.Synchronized.LagSeconds));
        Assert.Equal(metadata.Synchronized.Sources, typed.Synchronized.Sources);
    }

    [Fact]
    public async Task When_a_view_was_never_published_Should_answer_404_problem_details()
    {
        var response = await reporting.Client.GetAsync($"/data/preaggregates?view={_view}-never");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task When_the_view_name_is_not_a_key_name_Should_answer_400_naming_the_view()
    {
        var response = await reporting.Client.GetAsync("/data/preaggregates?view=Bad%20View:*");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("view", out _));
    }

    [Fact]
    public async Task When_no_api_key_is_sent_Should_answer_401()
    {
        var response = await reporting.ClientWith(null).GetAsync($"/data/preaggregates?view={_view}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
