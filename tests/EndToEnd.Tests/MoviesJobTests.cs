using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.EndToEnd.Tests;

/// <summary>A movies job through the five services: downloads in parallel, the load as their continuation, the report through the API.</summary>
[Collection(SystemCollection.Name)]
public sealed class MoviesJobTests(SystemFixture system) : IDisposable
{
    private readonly string _directory = Directory.CreateDirectory(Path.Combine(system.FilesDirectory, $"movies-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task When_the_load_fails_for_good_Should_fail_the_job_with_the_loads_error_and_say_the_report_holds_the_previous_runs_data()
    {
        var settings = await MoviesData.WriteSampleSourcesAsync(_directory);
        var previous = await SubmitAsync(settings);
        Assert.Equal("Completed", (await system.WaitForEndAsync(previous, TimeSpan.FromSeconds(90))).GetProperty("status").GetString());

        // From now on PostgreSQL refuses every row of movie_report: an error no retry overcomes.
        await system.ScalarAsync("ALTER TABLE movie_report ADD CONSTRAINT e2e_reject_all CHECK (false) NOT VALID");
        try
        {
            var id = await SubmitAsync(settings);
            var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(90));

            Assert.Equal("Failed", job.GetProperty("status").GetString());
            Assert.StartsWith("required task 'load' failed: PostgresException: 23514", job.GetProperty("error").GetString());
            var children = job.GetProperty("children");
            Assert.Equal((3L, 2L, 1L), (children.GetProperty("total").GetInt64(), children.GetProperty("completed").GetInt64(),
                children.GetProperty("failed").GetInt64()));
            var data = job.GetProperty("data");
            Assert.Equal(("movie_report", previous, false), (data.GetProperty("table").GetString(), data.GetProperty("loadedBy").GetGuid(),
                data.GetProperty("holdsThisJob").GetBoolean()));
            var report = await system.Api.GetFromJsonAsync<JsonElement>("data/movies");
            Assert.Equal((3L, previous), (report.GetProperty("total").GetInt64(), report.GetProperty("loadedBy").GetGuid()));
            await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Failed' AND error LIKE 'required task ''load''%'", id),
                n => n == 1, TimeSpan.FromSeconds(30), "the failed job audited with the load's error");
        }
        finally
        {
            await system.ScalarAsync("ALTER TABLE movie_report DROP CONSTRAINT e2e_reject_all");
        }
    }

    private async Task<Guid> SubmitAsync(object settings)
    {
        var response = await system.Api.PostAsJsonAsync("jobs", new { platform = "movies", settings });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task When_a_movies_job_runs_Should_complete_all_three_steps_and_serve_the_report()
    {
        var id = await SubmitAsync(await MoviesData.WriteSampleSourcesAsync(_directory));

        var job = await system.WaitForEndAsync(id, TimeSpan.FromSeconds(90));

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        var children = job.GetProperty("children");
        // The two downloads and the load, their continuation, which started once both had finished.
        Assert.Equal((3L, 3L), (children.GetProperty("total").GetInt64(), children.GetProperty("completed").GetInt64()));
        await Eventually.Until(() => system.ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation > 0", id),
            n => n >= 3, TimeSpan.FromSeconds(30), "the downloads and the load audited");
        var loadStart = await system.ScalarAsync(
            "SELECT (extract(epoch FROM started_at) * 1000)::bigint FROM child_jobs WHERE root_job_id = $1 AND task = 'load'", id);
        var downloadsEnd = await system.ScalarAsync(
            "SELECT (extract(epoch FROM max(finished_at)) * 1000)::bigint FROM child_jobs WHERE root_job_id = $1 AND task LIKE 'download-%'", id);
        Assert.True(loadStart >= downloadsEnd, "the load started before both downloads had finished");
        var report = await system.Api.GetFromJsonAsync<JsonElement>("data/movies?sort=year&order=asc");
        var items = report.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, report.GetProperty("total").GetInt64());
        Assert.Equal("https://en.wikipedia.org/wiki/King_Kong_(1933_film)", items[0].GetProperty("url").GetString());
        Assert.Equal("https://en.wikipedia.org/wiki/King_Kong", items[1].GetProperty("url").GetString()); // 1976: no page of its own, the bare title
        Assert.Equal("Toy Story is a 1995 American computer-animated comedy film.", items[2].GetProperty("abstract").GetString());
        Assert.NotEqual(JsonValueKind.Null, report.GetProperty("loadedAt").ValueKind);
        Assert.Equal(id, report.GetProperty("loadedBy").GetGuid());
        Assert.True(job.GetProperty("data").GetProperty("holdsThisJob").GetBoolean());
    }
}
