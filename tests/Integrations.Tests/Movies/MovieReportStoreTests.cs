using Jobs.Plugins.Movies;
using Npgsql;

namespace Jobs.Integrations.Tests.Movies;

public sealed class MovieReportStoreTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await MovieReportStore.EnsureAsync(host.Postgres, CancellationToken.None);
        await MovieReportStore.EnsureAsync(host.Postgres, CancellationToken.None); // idempotent
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static MovieReportRow Row(string title, double ratio = 2) =>
        new(title, 200_000, 1999, 100_000, ratio, 6.1, "Synthetic Pictures", $"https://en.wikipedia.org/wiki/{title}", "An abstract.");

    private static MovieReportLoad Load(int matched = 0) => new(Guid.NewGuid(), 10, 5, 1, matched, 100, "size 1", "etag \"x\"");

    private async Task<List<string>> TitlesAsync()
    {
        await using var command = host.Postgres.CreateCommand("SELECT title FROM movie_report ORDER BY ratio DESC, title");
        await using var reader = await command.ExecuteReaderAsync();
        var titles = new List<string>();
        while (await reader.ReadAsync()) titles.Add(reader.GetString(0));
        return titles;
    }

    private async Task<long> LoadsAsync()
    {
        await using var command = host.Postgres.CreateCommand("SELECT count(*) FROM movie_report_loads");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task When_loading_Should_replace_the_previous_report_and_record_the_load()
    {
        await MovieReportStore.ReplaceAsync(host.Postgres, [Row("Old A"), Row("Old B")], Load(), CancellationToken.None);
        var loads = await LoadsAsync();

        var count = await MovieReportStore.ReplaceAsync(host.Postgres, [Row("New", 3), Row("Nulls") with { Year = null, Rating = null, Url = null, Abstract = null }],
            Load(matched: 1), CancellationToken.None);

        Assert.Equal(2, count);
        Assert.Equal(["New", "Nulls"], await TitlesAsync());
        Assert.Equal(loads + 1, await LoadsAsync());
    }

    [Fact]
    public async Task When_a_load_fails_midway_Should_keep_the_previous_report()
    {
        await MovieReportStore.ReplaceAsync(host.Postgres, [Row("Kept")], Load(), CancellationToken.None);
        var loads = await LoadsAsync();

        IEnumerable<MovieReportRow> Broken()
        {
            for (var i = 0; i < 100; i++) yield return Row($"Partial {i}");
            throw new IOException("the abstracts dump broke off");
        }

        await Assert.ThrowsAsync<IOException>(() => MovieReportStore.ReplaceAsync(host.Postgres, Broken(), Load(), CancellationToken.None));

        Assert.Equal(["Kept"], await TitlesAsync());
        Assert.Equal(loads, await LoadsAsync());
    }

    [Fact]
    public async Task When_no_movie_qualified_Should_refuse_to_empty_the_report()
    {
        await MovieReportStore.ReplaceAsync(host.Postgres, [Row("Kept")], Load(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => MovieReportStore.ReplaceAsync(host.Postgres, [], Load(), CancellationToken.None));

        Assert.Equal(["Kept"], await TitlesAsync());
    }

    [Fact]
    public async Task When_a_reader_queries_during_a_load_Should_see_the_whole_previous_report_without_waiting()
    {
        var previous = Enumerable.Range(0, 50).Select(i => Row($"Previous {i}")).ToList();
        await MovieReportStore.ReplaceAsync(host.Postgres, previous, Load(), CancellationToken.None);
        using var halfway = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();

        IEnumerable<MovieReportRow> Slow()
        {
            for (var i = 0; i < 2_000; i++)
            {
                if (i == 1_000)
                {
                    halfway.Set();
                    resume.Wait(TimeSpan.FromSeconds(30));
                }

                yield return Row($"Next {i}");
            }
        }

        var load = Task.Run(() => MovieReportStore.ReplaceAsync(host.Postgres, Slow(), Load(), CancellationToken.None));
        Assert.True(halfway.Wait(TimeSpan.FromSeconds(30)));

        await using (var connection = await host.Postgres.OpenConnectionAsync())
        {
            await using (var timeout = new NpgsqlCommand("SET statement_timeout = 2000", connection)) await timeout.ExecuteNonQueryAsync();
            await using var command = new NpgsqlCommand("SELECT count(*), min(title) FROM movie_report", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((50L, "Previous 0"), (reader.GetInt64(0), reader.GetString(1)));
        }

        resume.Set();
        Assert.Equal(2_000, await load);
        Assert.Equal(2_000, (await TitlesAsync()).Count);
    }
}
