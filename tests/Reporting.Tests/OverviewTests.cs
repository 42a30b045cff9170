using System.Net;
using System.Text;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.Reporting.Overview;
using Jobs.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>GET /overview and GET /overview/stream, in a database of their own (the 24 hours count every root in it).</summary>
public sealed class OverviewTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    private static Task<JsonElement> OkJsonAsync(HttpResponseMessage response) => ApiJson.OkAsync(response);

    [Fact]
    public async Task The_overview_shows_running_jobs_with_live_counts_the_last_24_hours_the_queues_with_their_workers_and_the_dependencies()
    {
        var platform = $"ov-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;
        var rows = new AuditRows(reporting.Postgres);
        var (running, pending) = (Guid.NewGuid(), Guid.NewGuid());
        reporting.Track(running);
        await rows.RootAsync(running, platform, JobStatus.Running, now.AddSeconds(-2), total: 1, schedule: "nightly");
        await rows.RootAsync(pending, platform, JobStatus.Pending, now.AddSeconds(-1));
        await rows.RootAsync(Guid.NewGuid(), platform, JobStatus.Completed, now.AddSeconds(-3), now.AddSeconds(-1));
        await rows.RootAsync(Guid.NewGuid(), platform, JobStatus.CompletedWithFailures, now.AddSeconds(-3), now.AddSeconds(-1));
        await rows.RootAsync(Guid.NewGuid(), platform, JobStatus.Failed, now.AddSeconds(-3), now.AddSeconds(-1));
        await rows.RootAsync(Guid.NewGuid(), platform, JobStatus.Completed, now.AddDays(-3), now.AddDays(-3)); // outside the 24 hours
        var db = reporting.Redis.GetDatabase();
        await db.HashSetAsync(RootJobKeys.Key(running), [
            new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, platform),
            new HashEntry(RootJobKeys.Total, 8), new HashEntry(RootJobKeys.Completed, 3), new HashEntry(RootJobKeys.Failed, 1),
        ]);

        var queue = Jobs.JobTree.IntegrationQueues.QueueName(platform);
        using (var management = Infrastructure.Management(reporting.VirtualHost))
        {
            var vhost = Uri.EscapeDataString(reporting.VirtualHost.AbsolutePath.TrimStart('/'));
            (await management.PutAsync($"api/queues/{vhost}/{queue}", new StringContent("""{"durable":true}""", Encoding.UTF8, "application/json")))
                .EnsureSuccessStatusCode();
        }

        var worker = new WorkerHeartbeat($"overview-test:{Guid.NewGuid():N}", "overview-test", 4242, [platform], [queue], 3, 7.5, now.AddMinutes(-5), now);
        await Workers.WriteAsync(db, worker);
        try
        {
            var overview = await OkJsonAsync(await reporting.Client.GetAsync("/overview"));

            var listed = overview.GetProperty("running").EnumerateArray().Where(j => j.GetProperty("platform").GetString() == platform).ToList();
            Assert.Equal([pending, running], listed.Select(j => j.GetProperty("id").GetGuid()));
            var live = listed[1];
            Assert.Equal(("Running", "nightly", 8L, 3L, 1L, 50.0), (live.GetProperty("status").GetString(), live.GetProperty("schedule").GetString(),
                live.GetProperty("children").GetProperty("total").GetInt64(), live.GetProperty("children").GetProperty("completed").GetInt64(),
                live.GetProperty("children").GetProperty("failed").GetInt64(), live.GetProperty("percent").GetDouble()));

            var day = Assert.Single(overview.GetProperty("last24h").EnumerateArray(), d => d.GetProperty("platform").GetString() == platform);
            Assert.Equal((5L, 1L, 1L, 1L, 0L), (day.GetProperty("started").GetInt64(), day.GetProperty("completed").GetInt64(),
                day.GetProperty("completedWithFailures").GetInt64(), day.GetProperty("failed").GetInt64(), day.GetProperty("cancelled").GetInt64()));
            var hourly = day.GetProperty("hourly").EnumerateArray().ToList();
            Assert.Equal(24, hourly.Count);
            var hours = hourly.Select(h => h.GetProperty("hour").GetDateTimeOffset()).ToList();
            Assert.All(hours.Zip(hours.Skip(1)), p => Assert.Equal(TimeSpan.FromHours(1), p.Second - p.First));
            var at = overview.GetProperty("at").GetDateTimeOffset().UtcDateTime;
            Assert.Equal(new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero), hours[^1]);
            Assert.Equal((5L, 2L, 1L), (hourly.Sum(h => h.GetProperty("started").GetInt64()), hourly.Sum(h => h.GetProperty("completed").GetInt64()),
                hourly.Sum(h => h.GetProperty("failed").GetInt64())));
            // Three ended in this database's 24 hours: one failed, one completed with failures.
            Assert.Equal(Math.Round(2.0 / 3, 4), overview.GetProperty("failureRate").GetDouble());

            Assert.True(overview.GetProperty("childrenPerSecond").GetDouble() >= 7.5);
            var queueView = Assert.Single(overview.GetProperty("queues").EnumerateArray(), q => q.GetProperty("name").GetString() == queue);
            Assert.Equal((platform, 0L, 0), (queueView.GetProperty("platform").GetString(), queueView.GetProperty("messages").GetInt64(),
                queueView.GetProperty("consumers").GetInt32()));
            Assert.Equal(0.0, queueView.GetProperty("publishRate").GetDouble());
            var shown = Assert.Single(queueView.GetProperty("workers").EnumerateArray());
            Assert.Equal((worker.Id, "overview-test", 3L), (shown.GetProperty("id").GetString(), shown.GetProperty("host").GetString(),
                shown.GetProperty("inFlight").GetInt64()));
            Assert.False(overview.TryGetProperty("queuesError", out _));

            // No Scheduler runs here: the schedules part says so instead of failing the overview.
            Assert.Empty(overview.GetProperty("nextFires").EnumerateArray());
            Assert.Contains(Jobs.JobTree.IntegrationQueues.SchedulerCommands, overview.GetProperty("schedulesError").GetString());
            Assert.Contains(overview.GetProperty("dependencies").GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "redis");
            Assert.True(overview.GetProperty("at").GetDateTimeOffset() >= now);
        }
        finally
        {
            await Workers.RemoveAsync(db, worker.Id);
        }
    }

    [Fact]
    public async Task The_overview_stream_sends_the_overview_at_once_and_again_every_refresh_from_one_producer_that_stops_with_the_last_stream()
    {
        var snapshots = reporting.Services.GetRequiredService<OverviewSnapshots>();
        var stream = reporting.Services.GetRequiredService<OverviewStream>();

        var (firstAts, secondAts) = (new List<DateTimeOffset>(), new List<DateTimeOffset>());
        await using (var first = await ServerSentEventReader.OpenAsync(reporting.Client, "/overview/stream"))
        await using (var second = await ServerSentEventReader.OpenAsync(reporting.Client, "/overview/stream"))
        {
            for (var i = 0; i < 4; i++)
            {
                foreach (var (reader, ats) in new[] { (first, firstAts), (second, secondAts) })
                {
                    var sent = await reader.NextAsync(EventTimeout);
                    Assert.NotNull(sent);
                    Assert.Equal(OverviewEndpoints.EventType, sent.Type);
                    Assert.True(sent.Data.TryGetProperty("dependencies", out _), sent.Data.ToString());
                    ats.Add(sent.Data.GetProperty("at").GetDateTimeOffset());
                }
            }

            Assert.True(stream.IsProducing);
            Assert.True(firstAts.Zip(firstAts.Skip(1)).All(p => p.Second > p.First), string.Join(", ", firstAts));
            // One producer: both streams were sent the same snapshots.
            Assert.True(firstAts.Intersect(secondAts).Count() >= 2, $"{string.Join(", ", firstAts)} / {string.Join(", ", secondAts)}");
        }

        await Eventually.Until(() => Task.FromResult(stream.IsProducing), producing => !producing, TimeSpan.FromSeconds(10), "the producer to stop");
        var stoppedAt = snapshots.Computations;
        await Task.Delay(ReportingFixture.OverviewRefresh * 5);
        Assert.Equal(stoppedAt, snapshots.Computations);

        // A new stream starts it again, with an overview at once.
        await using var again = await ServerSentEventReader.OpenAsync(reporting.Client, "/overview/stream");
        Assert.Equal(OverviewEndpoints.EventType, (await again.NextAsync(EventTimeout))?.Type);
        Assert.True(snapshots.Computations > stoppedAt);
    }
}
