using Jobs.Integrator.ReadModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary>GET /jobs/{id}/status?wait=: a client waits for a job's end without polling.</summary>
public sealed class JobStatusWaitTests(ReportingFixture reporting) : IClassFixture<ReportingFixture>
{
    private async Task<Guid> RunningJobAsync()
    {
        var id = Guid.NewGuid();
        reporting.Track(id);
        await reporting.Redis.GetDatabase().HashSetAsync(RootJobKeys.Key(id),
            [new HashEntry(RootJobKeys.Status, JobStatus.Running), new HashEntry(RootJobKeys.Total, 3), new HashEntry(RootJobKeys.Completed, 1)]);
        return id;
    }

    /// <summary>What the Integrator does when a root ends: the final status into the read model, then the announcement.</summary>
    private async Task EndAsync(Guid id, string status, bool announce = true)
    {
        var db = reporting.Redis.GetDatabase();
        await db.HashSetAsync(RootJobKeys.Key(id), [new HashEntry(RootJobKeys.Status, status), new HashEntry(RootJobKeys.Completed, 3)]);
        if (announce) await db.PublishAsync(RedisChannel.Literal(RootJobKeys.EndedChannel), id.ToString("N"));
    }

    private static async Task<JsonElement> OkJsonAsync(Task<HttpResponseMessage> request)
    {
        var response = await request;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task When_the_job_ends_during_the_wait_Should_answer_with_the_final_status_once_the_end_is_announced()
    {
        var id = await RunningJobAsync();

        var waiting = OkJsonAsync(reporting.Client.GetAsync($"/jobs/{id}/status?wait=60"));
        // Still running: the request is held instead of answering "Running".
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(waiting.IsCompleted, "the request answered before the job ended");
        await EndAsync(id, JobStatus.Completed);

        // Answered by the announcement, long before the 60 s wait would be over.
        var status = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Completed, status.GetProperty("status").GetString());
        Assert.Equal(3, status.GetProperty("children").GetProperty("completed").GetInt64());
    }

    [Fact]
    public async Task When_several_clients_wait_for_one_job_Should_answer_each_of_them()
    {
        var id = await RunningJobAsync();

        var waiting = Enumerable.Range(0, 3).Select(_ => OkJsonAsync(reporting.Client.GetAsync($"/jobs/{id}/status?wait=60"))).ToList();
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await EndAsync(id, JobStatus.Failed);

        var answers = await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(answers, a => Assert.Equal(JobStatus.Failed, a.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task When_the_wait_is_over_before_the_job_ends_Should_answer_with_the_status_as_it_is_then()
    {
        var id = await RunningJobAsync();

        var status = await OkJsonAsync(reporting.Client.GetAsync($"/jobs/{id}/status?wait=0.3"));

        Assert.Equal(JobStatus.Running, status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task When_the_end_is_not_announced_Should_answer_with_the_status_read_when_the_wait_is_over()
    {
        var id = await RunningJobAsync();

        var waiting = OkJsonAsync(reporting.Client.GetAsync($"/jobs/{id}/status?wait=1.5"));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await EndAsync(id, JobStatus.Cancelled, announce: false);

        Assert.Equal(JobStatus.Cancelled, (await waiting).GetProperty("status").GetString());
    }

    [Fact]
    public async Task When_the_job_has_already_ended_Should_answer_at_once_and_a_missing_job_is_404()
    {
        var id = await RunningJobAsync();
        await EndAsync(id, JobStatus.Completed, announce: false);

        var status = await OkJsonAsync(reporting.Client.GetAsync($"/jobs/{id}/status?wait=60")).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Completed, status.GetProperty("status").GetString());

        var missing = await reporting.Client.GetAsync($"/jobs/{Guid.NewGuid()}/status?wait=60");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("61")]
    [InlineData("NaN")]
    public async Task When_the_wait_is_out_of_range_Should_answer_400_naming_it(string wait)
    {
        var id = await RunningJobAsync();

        var response = await reporting.Client.GetAsync($"/jobs/{id}/status?wait={wait}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("wait", out _), problem.ToString());
    }
}
