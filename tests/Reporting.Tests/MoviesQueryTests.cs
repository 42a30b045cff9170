using Jobs.Integrator.ReadModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Plugins.Movies;
using Jobs.Contracts;
using StackExchange.Redis;

namespace Jobs.Reporting.Tests;

/// <summary><c>GET /data/movies</c> over a <c>movie_report</c> shaped as the movies integration creates it.</summary>
public sealed class MoviesQueryTests(ReportingFixture data) : IClassFixture<ReportingFixture>
{
    private async Task FillAsync()
    {
        // The table as the movies integration creates it.
        await MovieReportStore.EnsureAsync(data.Postgres, CancellationToken.None);
        await data.ExecuteAsync("""
            TRUNCATE movie_report, movie_report_loads;
            INSERT INTO movie_report SELECT 'Movie ' || lpad(i::text, 3, '0'), 100000 * i, 1990 + i % 20, 50000, 2.0 * i, i % 10,
                'Studio ' || (i % 3), 'https://en.wikipedia.org/wiki/Movie_' || i, CASE WHEN i % 2 = 0 THEN 'Abstract ' || i END
            FROM generate_series(1, 120) AS i;
            INSERT INTO movie_report_loads VALUES ('6f1c1d1e-9a43-4a5e-8d0e-1f2a3b4c5d6e', '2026-01-02T03:04:05Z', 120, 60, 3000, 1121, 3, 900, 'a', 'b');
            """);
    }

    [Fact]
    public async Task When_the_report_is_queried_Should_return_the_highest_ratios_first_a_page_at_a_time()
    {
        await FillAsync();
        using var client = data.ClientWith(data.AdminKey);

        var page = await client.GetFromJsonAsync<JsonElement>("/data/movies?pageSize=50&page=3");

        Assert.Equal(120, page.GetProperty("total").GetInt64());
        Assert.Equal(("ratio", "desc"), (page.GetProperty("sort").GetString(), page.GetProperty("order").GetString()));
        Assert.Equal(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture),
            page.GetProperty("loadedAt").GetDateTimeOffset());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(20, items.Count);
        Assert.Equal("Movie 020", items[0].GetProperty("title").GetString());
        Assert.Equal(40.0, items[0].GetProperty("ratio").GetDouble());
        Assert.Equal("Studio 2", items[0].GetProperty("productionCompany").GetString());
        Assert.Equal("Abstract 20", items[0].GetProperty("abstract").GetString());
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("abstract").ValueKind);
    }

    [Theory]
    [InlineData("sort=title", "Movie 001")]
    [InlineData("sort=title&order=desc", "Movie 120")]
    [InlineData("sort=budget&order=asc", "Movie 001")]
    [InlineData("sort=year&order=asc", "Movie 120")] // 1990: movies 20, 40, ... 120; the highest ratio first
    public async Task When_sorted_by_a_column_Should_order_by_it_and_break_ties_by_ratio(string query, string firstTitle)
    {
        await FillAsync();
        using var client = data.ClientWith(data.AdminKey);

        var page = await client.GetFromJsonAsync<JsonElement>($"/data/movies?{query}");

        Assert.Equal(firstTitle, page.GetProperty("items")[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task When_a_later_job_loaded_the_report_Should_name_that_job_as_loadedBy()
    {
        await FillAsync();
        var later = Guid.NewGuid();
        await data.ExecuteAsync($"INSERT INTO movie_report_loads VALUES ('{later}', '2026-01-03T00:00:00Z', 120, 60, 3000, 1121, 3, 900, 'a', 'b')");
        using var client = data.ClientWith(data.AdminKey);

        var page = await client.GetFromJsonAsync<JsonElement>("/data/movies?pageSize=1");

        Assert.Equal((later, DateTimeOffset.Parse("2026-01-03T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)),
            (page.GetProperty("loadedBy").GetGuid(), page.GetProperty("loadedAt").GetDateTimeOffset()));
    }

    [Fact]
    public async Task When_getting_a_movies_job_Should_say_which_jobs_data_movie_report_holds_now()
    {
        await FillAsync();
        var (failed, loaded) = (Guid.NewGuid(), Guid.Parse("6f1c1d1e-9a43-4a5e-8d0e-1f2a3b4c5d6e"));
        var db = data.Redis.GetDatabase();
        foreach (var (id, status) in new[] { (failed, JobStatus.Failed), (loaded, JobStatus.Completed) })
        {
            data.Track(id);
            await db.HashSetAsync(RootJobKeys.Key(id), [new HashEntry(RootJobKeys.Status, status), new HashEntry(RootJobKeys.Platform, "movies")]);
        }

        using var client = data.ClientWith(data.AdminKey);
        var failedJob = await client.GetFromJsonAsync<JsonElement>($"/jobs/{failed}");
        var loadedJob = await client.GetFromJsonAsync<JsonElement>($"/jobs/{loaded}");

        // The failed job's load left the report as it was: it holds the earlier job's rows, and says so.
        var stale = failedJob.GetProperty("data");
        Assert.Equal(("movie_report", loaded, false), (stale.GetProperty("table").GetString(), stale.GetProperty("loadedBy").GetGuid(),
            stale.GetProperty("holdsThisJob").GetBoolean()));
        Assert.Equal(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture), stale.GetProperty("loadedAt").GetDateTimeOffset());
        Assert.True(loadedJob.GetProperty("data").GetProperty("holdsThisJob").GetBoolean());
    }

    [Fact]
    public async Task When_the_page_is_past_the_end_Should_return_no_items_and_the_total()
    {
        await FillAsync();
        using var client = data.ClientWith(data.AdminKey);

        var page = await client.GetFromJsonAsync<JsonElement>("/data/movies?page=99");

        Assert.Equal(120, page.GetProperty("total").GetInt64());
        Assert.Empty(page.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("sort=abstract;DROP TABLE movie_report", "sort")]
    [InlineData("order=sideways", "order")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=501", "pageSize")]
    public async Task When_the_query_is_invalid_Should_answer_400_naming_the_parameter(string query, string parameter)
    {
        using var client = data.ClientWith(data.AdminKey);

        var response = await client.GetAsync($"/data/movies?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [Fact]
    public async Task When_no_key_is_sent_Should_answer_401()
    {
        using var client = data.ClientWith(null);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/data/movies")).StatusCode);
    }
}

/// <summary>Before the movies integration ever ran, its table does not exist: the query answers an empty report.</summary>
public sealed class MoviesQueryBeforeAnyLoadTests(ReportingFixture data) : IClassFixture<ReportingFixture>
{
    [Fact]
    public async Task When_the_table_does_not_exist_yet_Should_return_an_empty_page()
    {
        using var client = data.ClientWith(data.AdminKey);

        var page = await client.GetFromJsonAsync<JsonElement>("/data/movies");

        Assert.Equal(0, page.GetProperty("total").GetInt64());
        Assert.Empty(page.GetProperty("items").EnumerateArray());
    }
}
