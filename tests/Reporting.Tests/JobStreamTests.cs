using System.Net;
using Jobs.Contracts;
using Jobs.Integrator.ReadModel;
using Jobs.Reporting.JobDetails;
using Jobs.TestSupport;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>GET /jobs/{id}/stream over the Integrator's read model, written as the Integrator writes it (and its end announced as it announces it).</summary>
public sealed class JobStreamTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_job_stream_sends_the_job_at_once_then_each_change_then_the_final_state_and_closes()
    {
        var id = Guid.NewGuid();
        reporting.Track(id);
        var db = reporting.Redis.GetDatabase();
        var startedAt = DateTimeOffset.UtcNow.AddSeconds(-5);
        await db.HashSetAsync(RootJobKeys.Key(id), [
            new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Platform, reporting.Platform),
            new HashEntry(RootJobKeys.Total, 4), new HashEntry(RootJobKeys.Completed, 0), new HashEntry(RootJobKeys.Failed, 0),
            new HashEntry(RootJobKeys.StartedAt, startedAt.ToString("O")),
        ]);

        await using var stream = await ServerSentEventReader.OpenAsync(reporting.Client, $"/jobs/{id}/stream");
        var first = await stream.NextAsync(EventTimeout);
        Assert.Equal(JobStreamEndpoints.EventType, first?.Type);
        Assert.Equal((id, "Running", 4L, 0L, 0.0), (first!.Data.GetProperty("id").GetGuid(), first.Data.GetProperty("status").GetString(),
            first.Data.GetProperty("children").GetProperty("total").GetInt64(), first.Data.GetProperty("children").GetProperty("completed").GetInt64(),
            first.Data.GetProperty("progress").GetProperty("percent").GetDouble()));
        Assert.Equal(startedAt, first.Data.GetProperty("startedAt").GetDateTimeOffset());

        await db.HashSetAsync(RootJobKeys.Key(id), [new HashEntry(RootJobKeys.Completed, 2)]);
        var progressed = await stream.NextAsync(EventTimeout);
        Assert.Equal((2L, 50.0), (progressed!.Data.GetProperty("children").GetProperty("completed").GetInt64(),
            progressed.Data.GetProperty("progress").GetProperty("percent").GetDouble()));

        var finishedAt = DateTimeOffset.UtcNow;
        await db.HashSetAsync(RootJobKeys.Key(id), [
            new HashEntry(RootJobKeys.Completed, 3), new HashEntry(RootJobKeys.Failed, 1), new HashEntry(RootJobKeys.Status, JobStatus.CompletedWithFailures),
            new HashEntry(RootJobKeys.FinishedAt, finishedAt.ToString("O")),
        ]);
        await reporting.Redis.GetSubscriber().PublishAsync(RootJobReader.EndedChannel, id.ToString("N"));
        var final = await stream.NextAsync(EventTimeout);
        Assert.Equal(("CompletedWithFailures", 3L, 1L, 100.0), (final!.Data.GetProperty("status").GetString(),
            final.Data.GetProperty("children").GetProperty("completed").GetInt64(), final.Data.GetProperty("children").GetProperty("failed").GetInt64(),
            final.Data.GetProperty("progress").GetProperty("percent").GetDouble()));
        Assert.Equal(finishedAt, final.Data.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.Null(await stream.NextAsync(EventTimeout));
    }

    [Fact]
    public async Task A_stream_of_an_ended_job_sends_its_final_state_once_and_closes()
    {
        var id = Guid.NewGuid();
        reporting.Track(id);
        await reporting.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(id), [
            new HashEntry(RootJobKeys.Status, JobStatus.Failed), new HashEntry(RootJobKeys.Platform, reporting.Platform),
        ]);

        await using var stream = await ServerSentEventReader.OpenAsync(reporting.Client, $"/jobs/{id}/stream");

        Assert.Equal("Failed", (await stream.NextAsync(EventTimeout))?.Data.GetProperty("status").GetString());
        Assert.Null(await stream.NextAsync(EventTimeout));
    }

    [Fact]
    public async Task The_stream_of_an_unknown_job_is_404_problem_details()
    {
        var response = await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/stream");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
