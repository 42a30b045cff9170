using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;
using Jobs.Plugins.Http;
using Jobs.Integrations.Tests.Http;
using Jobs.Plugins.Movies;
using Jobs.Plugins.Storage;
using Jobs.Platforms;
using Jobs.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Npgsql;

namespace Jobs.Integrations.Tests.Movies;

/// <summary>The movies integration's tasks run as the Integrations host runs them, on files in the dump's and Kaggle's formats.</summary>
public sealed class MoviesIntegrationTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("movies-tests-").FullName;

    /// <summary>The service's Storage section: csv and jsonl files only in the test's <c>storage</c> directory; named targets as a test adds them.</summary>
    private readonly StorageOptions _storage = new();
    /// <summary>
    /// The integration as a service configured to allow this test's directory (and the shared sample data, read in place)
    /// for file:// sources and cache_dir.
    /// </summary>
    private MoviesIntegration Integration =>
        MoviesData.SharedData("") is { } sharedData ? IntegrationAllowing(_directory, sharedData) : IntegrationAllowing(_directory);

    // The file mirror listens on loopback: allowed on purpose.
    private MoviesIntegration IntegrationAllowing(params string[] directories) =>
        new(new PoliteHttpFactory(host.Redis, Microsoft.Extensions.Options.Options.Create(new PoliteHttpOptions().AllowingLoopback())), Microsoft.Extensions.Options.Options.Create(
            new MoviesOptions { AllowedDirectories = [.. directories] }), new StorageTargets(Microsoft.Extensions.Options.Options.Create(_storage)));

    /// <summary>Where this test's csv and jsonl storage targets may be written (Storage:AllowedDirectories).</summary>
    private string StorageDirectory => Path.Combine(_directory, "storage");
    private readonly List<Guid> _roots = [];

    public Task InitializeAsync()
    {
        _storage.AllowedDirectories = [StorageDirectory];
        return Integration.EnsureStorageAsync(host.Postgres, CancellationToken.None);
    }

    /// <summary>Removes the progress the runs reported to the shared Redis.</summary>
    public async Task DisposeAsync()
    {
        foreach (var root in _roots) await host.Redis.GetDatabase().KeyDeleteAsync(RootJobKeys.Key(root) + ":progress");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private JobContext Context(string task, object settings, NpgsqlDataSource? postgres = null, ILogger? logger = null)
    {
        var root = Guid.NewGuid();
        _roots.Add(root);
        var json = JsonSerializer.SerializeToElement(settings, SettingsJson.Options);
        return new JobContext(root, new ChildJob(JobIds.Child(root, 0), root, root, 1, task, json), new RunReports(host.Redis), host.Redis, postgres ?? host.Postgres,
            logger ?? NullLogger.Instance, CancellationToken.None);
    }

    /// <summary>The entry and the downloads of a job, leaving both sources in the cache for its load.</summary>
    private async Task DownloadAsync(MoviesSettings settings)
    {
        var entry = Context(IntegrationTasks.Entry, settings);
        await Integration.RunAsync(entry);
        foreach (var (task, _) in entry.Children) await Integration.RunAsync(Context(task, settings));
    }

    private async Task<Guid?> LoadedByAsync()
    {
        await using var command = host.Postgres.CreateCommand("SELECT root_job_id FROM movie_report_loads ORDER BY loaded_at DESC LIMIT 1");
        return (Guid?)await command.ExecuteScalarAsync();
    }

    private MoviesSettings KingKong()
    {
        var movies = WriteFile("movies_metadata.csv", Csv(
            new MovieRow("244", "King Kong", "672000", "10000000", "1933-03-07"),
            new MovieRow("254", "King Kong", "207000000", "550000000", "2005-12-14")));
        var abstracts = WriteGzip("enwiki-latest-abstract.xml.gz", MoviesData.Dump(MoviesData.Doc("King Kong", "King Kong is a fictional giant monster.")));
        return Settings(abstracts, movies);
    }

    [Fact]
    public async Task When_the_load_meets_a_connection_PostgreSQL_terminated_Should_retry_on_a_new_one_and_load()
    {
        var settings = KingKong();
        await DownloadAsync(settings);
        // One pooled connection, then the server ends its backend (what a restart does to every pooled connection): its next use fails with 57P01.
        await using var postgres = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(host.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        int pid;
        await using (var pooled = await postgres.OpenConnectionAsync()) pid = pooled.ProcessID;
        await using (var terminate = host.Postgres.CreateCommand("SELECT pg_terminate_backend($1)"))
        {
            terminate.Parameters.Add(new NpgsqlParameter { Value = pid });
            Assert.True((bool)(await terminate.ExecuteScalarAsync())!);
        }

        var logger = new RecordingLogger();
        var load = Context(MoviesIntegration.Load, settings, postgres, logger);
        await Integration.RunAsync(load);

        Assert.Contains(logger.Warnings, w => w.Contains("57P01", StringComparison.Ordinal) && w.Contains("Loading movie_report", StringComparison.Ordinal));
        Assert.Equal(2, (await ReportAsync()).Count);
        Assert.Equal(load.RootJobId, await LoadedByAsync());
    }

    [Fact]
    public async Task When_the_load_fails_for_good_Should_fail_with_the_loads_error_and_keep_the_previous_report_and_its_loader()
    {
        var settings = KingKong();
        await DownloadAsync(settings);
        var previous = Context(MoviesIntegration.Load, settings);
        await Integration.RunAsync(previous);
        var report = await ReportAsync();

        // From now on every row is refused: a permanent error, not one to retry.
        await using (var reject = host.Postgres.CreateCommand("ALTER TABLE movie_report ADD CONSTRAINT reject_all CHECK (false) NOT VALID"))
            await reject.ExecuteNonQueryAsync();
        try
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => Integration.RunAsync(Context(MoviesIntegration.Load, settings)));

            Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
            Assert.Equal(report, await ReportAsync());
            Assert.Equal(previous.RootJobId, await LoadedByAsync());
        }
        finally
        {
            await using var allow = host.Postgres.CreateCommand("ALTER TABLE movie_report DROP CONSTRAINT reject_all");
            await allow.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Keeps the warnings a run logs.</summary>
    private sealed class RecordingLogger : ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Warnings { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Warnings.Enqueue(formatter(state, exception));
        }
    }

    private MoviesSettings Settings(string abstracts, string movies, int top = 1000) => new()
    {
        AbstractsUrl = new Uri(abstracts).ToString(),
        MoviesUrl = new Uri(movies).ToString(),
        Top = top,
        CacheDir = Path.Combine(_directory, "cache"),
    };

    private async Task RunAllAsync(MoviesSettings settings)
    {
        var entry = Context(IntegrationTasks.Entry, settings);
        await Integration.RunAsync(entry);
        foreach (var (task, _) in entry.Children) await Integration.RunAsync(Context(task, settings));
        await Integration.RunAsync(Context(entry.Continuation!.Task, settings));
    }

    private async Task<List<(string Title, long Budget, int? Year, long Revenue, double Ratio, double? Rating, string? Company, string? Url, string? Abstract)>> ReportAsync()
    {
        await using var command = host.Postgres.CreateCommand(
            "SELECT title, budget, year, revenue, ratio, rating, production_company, url, abstract FROM movie_report ORDER BY ratio DESC, title");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, long, int?, long, double, double?, string?, string?, string?)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetInt64(3), reader.GetDouble(4),
                reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        return rows;
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string WriteGzip(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(text));
        return path;
    }

    private static string Csv(params MovieRow[] rows)
    {
        var writer = new StringWriter();
        MoviesData.WriteCsv(writer, rows);
        return writer.ToString();
    }

    [Fact]
    public async Task When_a_job_starts_Should_download_both_sources_in_parallel_then_load()
    {
        var entry = Context(IntegrationTasks.Entry, new MoviesSettings { MoviesUrl = new Uri(Path.Combine(_directory, "movies.zip")).ToString() });

        await Integration.RunAsync(entry);

        Assert.Equal([MoviesIntegration.DownloadAbstracts, MoviesIntegration.DownloadMovies], entry.Children.Select(c => c.Task));
        Assert.Equal(MoviesIntegration.Load, entry.Continuation?.Task);
    }

    [Theory]
    [InlineData("ftp://example.test/movies.zip")]
    [InlineData("movies.zip")]
    public async Task When_a_source_url_is_unusable_Should_fail_before_spawning(string url)
    {
        var entry = Context(IntegrationTasks.Entry, new MoviesSettings { MoviesUrl = url });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Integration.RunAsync(entry));

        Assert.Contains("movies_url", error.Message);
        Assert.Empty(entry.Children);
    }

    [Theory]
    [InlineData("movies_url", "/etc/passwd")]
    [InlineData("movies_url", "{dir}/../escaped.csv")]
    [InlineData("abstracts_url", "/var/lib/postgresql/abstracts.xml.gz")]
    public async Task When_a_file_source_lies_outside_the_allowed_directories_Should_fail_before_spawning_naming_it(string setting, string path)
    {
        var url = new Uri(path.Replace("{dir}", _directory, StringComparison.Ordinal)).ToString();
        var settings = setting == "movies_url"
            ? new MoviesSettings { MoviesUrl = url }
            : new MoviesSettings { MoviesUrl = new Uri(Path.Combine(_directory, "movies.csv")).ToString(), AbstractsUrl = url };
        var entry = Context(IntegrationTasks.Entry, settings);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Integration.RunAsync(entry));

        Assert.Contains(setting, error.Message);
        Assert.Contains("Movies:AllowedDirectories", error.Message);
        Assert.Empty(entry.Children);
        // A download task of such a job (sent by hand, say) refuses it too.
        await Assert.ThrowsAsync<ArgumentException>(() => Integration.RunAsync(Context(
            setting == "movies_url" ? MoviesIntegration.DownloadMovies : MoviesIntegration.DownloadAbstracts, settings)));
    }

    [Fact]
    public async Task When_no_directory_is_allowed_Should_refuse_every_file_source_and_say_so()
    {
        var entry = Context(IntegrationTasks.Entry, new MoviesSettings { MoviesUrl = new Uri(Path.Combine(_directory, "movies.csv")).ToString() });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => IntegrationAllowing().RunAsync(entry));

        Assert.Contains("none is configured", error.Message);
    }

    [Fact]
    public async Task When_the_cache_dir_lies_outside_the_allowed_directories_Should_fail_before_spawning()
    {
        var settings = new MoviesSettings { MoviesUrl = "https://example.test/movies.zip", CacheDir = "/etc/jobs-movies-cache" };
        var entry = Context(IntegrationTasks.Entry, settings);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Integration.RunAsync(entry));

        Assert.Contains("cache_dir", error.Message);
        Assert.Empty(entry.Children);
        Assert.False(Directory.Exists("/etc/jobs-movies-cache"));
    }

    [Fact]
    public async Task When_the_job_runs_on_local_files_Should_load_the_top_movies_with_their_abstracts()
    {
        var movies = WriteFile("movies_metadata.csv", Csv(
            new MovieRow("244", "King Kong", "672000", "10000000", "1933-03-07", "7.5", "[{'name': 'RKO Radio Pictures', 'id': 6}]"),
            new MovieRow("10730", "King Kong", "24000000", "90614445", "1976-12-17"),
            new MovieRow("254", "King Kong", "207000000", "550000000", "2005-12-14"),
            new MovieRow("1997-08-20", "Broken row", "1", "1", "1995-01-01"),
            new MovieRow("9", "Too cheap", "5000", "90614445", "1976-12-17")));
        var abstracts = WriteGzip("enwiki-latest-abstract.xml.gz", MoviesData.Dump(
            MoviesData.Doc("King Kong", "King Kong is a fictional giant monster."),
            MoviesData.Doc("King Kong (1976 film)", "King Kong is a 1976 American monster adventure film."),
            MoviesData.Doc("King Kong (1933 film)", "King Kong is a 1933 American pre-Code adventure film.")));

        await RunAllAsync(Settings(abstracts, movies));

        var report = await ReportAsync();
        Assert.Equal(3, report.Count);
        Assert.Equal(("King Kong", 2005, "King Kong is a fictional giant monster."), (report[0].Title, report[0].Year, report[0].Abstract));
        Assert.Equal((1976, "https://en.wikipedia.org/wiki/King_Kong_(1976_film)"), (report[1].Year, report[1].Url));
        Assert.Equal((1933, 672_000L, 10_000_000L, 0.0672, 7.5, "RKO Radio Pictures", "King Kong is a 1933 American pre-Code adventure film."),
            (report[2].Year, report[2].Budget, report[2].Revenue, Math.Round(report[2].Ratio, 4), report[2].Rating, report[2].Company, report[2].Abstract));
    }

    [Fact]
    public async Task When_the_movies_come_as_a_zip_Should_read_movies_metadata_csv_from_it()
    {
        var zipPath = Path.Combine(_directory, "the-movies-dataset.zip");
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            using (var other = new StreamWriter(zip.CreateEntry("credits.csv").Open())) other.Write("cast,crew,id\n");
            using var entry = new StreamWriter(zip.CreateEntry("movies_metadata.csv").Open());
            entry.Write(Csv(new MovieRow("862", "Toy Story", "30000000", "373554033.0", "1995-10-30")));
        }

        var abstracts = WriteFile("abstracts.xml", MoviesData.Dump(MoviesData.Doc("Toy Story", "Toy Story is a 1995 American computer-animated film.")));

        await RunAllAsync(Settings(abstracts, zipPath));

        var row = Assert.Single(await ReportAsync());
        Assert.Equal(("Toy Story", "Toy Story is a 1995 American computer-animated film."), (row.Title, row.Abstract));
    }

    [Fact]
    public async Task When_a_run_fails_Should_keep_the_report_of_the_previous_run()
    {
        var abstracts = WriteFile("abstracts.xml", MoviesData.Dump(MoviesData.Doc("Heat (1995 film)", "Heat is a 1995 crime film.")));
        await RunAllAsync(Settings(abstracts, WriteFile("movies.csv", Csv(new MovieRow("949", "Heat", "60000000", "187436818", "1995-12-15")))));

        var broken = WriteFile("broken.csv", "id,title\n1,No budget column\n");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Integration.RunAsync(Context(MoviesIntegration.Load, Settings(abstracts, broken))));

        Assert.Contains(broken, error.Message);
        Assert.Contains("no 'budget' column", error.Message);
        Assert.Equal("Heat is a 1995 crime film.", Assert.Single(await ReportAsync()).Abstract);
    }

    [Fact]
    public async Task When_no_movie_qualifies_Should_fail_naming_the_file_and_keep_the_previous_report()
    {
        var abstracts = WriteFile("abstracts.xml", MoviesData.Dump(MoviesData.Doc("Heat (1995 film)", "Heat is a 1995 crime film.")));
        await RunAllAsync(Settings(abstracts, WriteFile("movies.csv", Csv(new MovieRow("949", "Heat", "60000000", "187436818", "1995-12-15")))));
        var cheap = WriteFile("cheap.csv", Csv(new MovieRow("1", "Cheap", "500", "187436818", "1995-12-15")));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Integration.RunAsync(Context(MoviesIntegration.Load, Settings(abstracts, cheap))));

        Assert.Contains(cheap, error.Message);
        Assert.Equal("Heat", Assert.Single(await ReportAsync()).Title);
    }

    [Fact]
    public async Task When_the_dump_is_cut_short_Should_fail_naming_the_file_and_keep_the_previous_report()
    {
        var movies = WriteFile("movies.csv", Csv(new MovieRow("949", "Heat", "60000000", "187436818", "1995-12-15")));
        var good = WriteGzip("good.xml.gz", MoviesData.Dump(MoviesData.Doc("Heat (1995 film)", "Heat is a 1995 crime film.")));
        await RunAllAsync(Settings(good, movies));
        var whole = await File.ReadAllBytesAsync(WriteGzip("whole.xml.gz", MoviesData.Dump(
            Enumerable.Range(0, 2000).Select(i => MoviesData.Doc($"Page {i}", $"Text of page {i} and more words {i * 7}.")).ToArray())));
        var truncated = Path.Combine(_directory, "truncated.xml.gz");
        await File.WriteAllBytesAsync(truncated, whole[..(whole.Length / 2)]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Integration.RunAsync(Context(MoviesIntegration.Load, Settings(truncated, movies))));

        Assert.Contains(truncated, error.Message);
        Assert.Equal("Heat is a 1995 crime film.", Assert.Single(await ReportAsync()).Abstract);
    }

    [Fact]
    public async Task When_the_sources_are_served_over_http_Should_download_them_then_load_from_the_cache()
    {
        await using var server = await LocalFileServer.StartAsync();
        var csv = Encoding.UTF8.GetBytes(Csv(new MovieRow("862", "Toy Story", "30000000", "373554033.0", "1995-10-30")));
        var movies = server.Put("movies_metadata.csv", csv, "\"m1\"");
        var abstracts = server.Put("enwiki-latest-abstract.xml.gz", Gzip(MoviesData.Dump(MoviesData.Doc("Toy Story", "Toy Story is a 1995 film."))), "\"a1\"");
        var settings = Settings(abstracts.ToString(), movies.ToString());

        await RunAllAsync(settings);
        var afterFirst = server.Requests.Count;
        await RunAllAsync(settings);

        Assert.Equal("Toy Story is a 1995 film.", Assert.Single(await ReportAsync()).Abstract);
        Assert.Equal(2, afterFirst); // the two downloads; the load read the cache
        Assert.All(server.Requests.Skip(afterFirst), r => Assert.Equal(304, r.Status)); // the second run found both unchanged
    }

    private static byte[] Gzip(string text)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }

    /// <summary>The project's real sample files (Kaggle's first 2,996 films, the truefilm test dump), where ../shared/data has them.</summary>
    [Fact]
    public async Task When_run_on_the_real_sample_data_Should_cut_at_1000_and_match_the_real_pages()
    {
        var first2996 = MoviesData.SharedData("movies/movies_metadata_first2996.csv");
        var testRows = MoviesData.SharedData("movies/movies-metadata-test.csv");
        var dump = MoviesData.SharedData("wikipedia/enwiki-latest-abstract-test.xml");
        if (first2996 is null || testRows is null || dump is null) return; // only where ../shared/data exists

        await RunAllAsync(Settings(dump, first2996));
        var report = await ReportAsync();
        Assert.Equal(1000, report.Count);
        Assert.Equal("An Alan Smithee Film: Burn, Hollywood, Burn", report[0].Title);
        Assert.Equal(218.44, Math.Round(report[0].Ratio, 2));
        Assert.Equal(("Toy Story", 0.0803), (report[^1].Title, Math.Round(report[^1].Ratio, 4)));

        await RunAllAsync(Settings(dump, testRows));
        report = await ReportAsync();
        Assert.Contains(report, r => r is { Title: "King Kong", Year: 1933, Url: "https://en.wikipedia.org/wiki/King_Kong_(1933_film)" });
        Assert.Contains(report, r => r is { Title: "King Kong", Year: 1976, Url: "https://en.wikipedia.org/wiki/King_Kong_(1976_film)" });
        Assert.Contains(report, r => r is { Title: "Antwone Fisher", Url: "https://en.wikipedia.org/wiki/Antwone_Fisher_(film)" });
        Assert.DoesNotContain(report, r => r.Url is not null && r.Url.Contains("comics", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_run_on_the_real_gzipped_dump_Should_read_it_through_decompression()
    {
        var dump = MoviesData.SharedData("wikipedia/enwiki-abstract-anarchism-single-doc.xml.gz");
        if (dump is null) return; // only where ../shared/data exists
        var movies = WriteFile("anarchism.csv", Csv(new MovieRow("1", "Anarchism", "100000", "50000", "2001-01-01")));

        await RunAllAsync(Settings(dump, movies));

        var row = Assert.Single(await ReportAsync());
        Assert.Equal("https://en.wikipedia.org/wiki/Anarchism", row.Url);
        Assert.StartsWith("Anarchism is a political philosophy", row.Abstract);
    }

    /// <summary>Three King Kongs (1933 with a rating and a company, 1976, 2005), each with its Wikipedia page.</summary>
    private MoviesSettings ThreeKingKongs(string abstractOf2005 = "King Kong is a fictional giant monster.")
    {
        var movies = WriteFile("kong_metadata.csv", Csv(
            new MovieRow("244", "King Kong", "672000", "10000000", "1933-03-07", "7.5", "[{'name': 'RKO Radio Pictures', 'id': 6}]"),
            new MovieRow("10730", "King Kong", "24000000", "90614445", "1976-12-17"),
            new MovieRow("254", "King Kong", "207000000", "550000000", "2005-12-14")));
        var abstracts = WriteGzip($"kong-abstract-{Guid.NewGuid():N}.xml.gz", MoviesData.Dump(
            MoviesData.Doc("King Kong", abstractOf2005),
            MoviesData.Doc("King Kong (1976 film)", "King Kong is a 1976 American monster adventure film."),
            MoviesData.Doc("King Kong (1933 film)", "King Kong is a 1933 American pre-Code adventure film.")));
        return Settings(abstracts, movies);
    }

    /// <summary>The report's rows as a storage target holds them: every column as text (<see cref="ColumnTypes.Text"/>, null as "").</summary>
    private static List<string[]> AsText(IEnumerable<(string Title, long Budget, int? Year, long Revenue, double Ratio, double? Rating, string? Company, string? Url, string? Abstract)> report) =>
        [.. report.Select(r => new[]
        {
            r.Title, ColumnTypes.Text(r.Budget)!, r.Year is { } year ? ColumnTypes.Text((long)year)! : "", ColumnTypes.Text(r.Revenue)!, ColumnTypes.Text(r.Ratio)!,
            r.Rating is { } rating ? ColumnTypes.Text(rating)! : "", r.Company ?? "", r.Url ?? "", r.Abstract ?? "",
        })];

    private static List<string[]> ReadCsv(string path)
    {
        using var text = new StreamReader(path, Encoding.UTF8);
        var reader = new CsvRecordReader(text);
        var records = new List<string[]>();
        var fields = new List<string>();
        while (reader.TryRead(fields, out var error))
        {
            Assert.Null(error);
            records.Add([.. fields]);
        }

        return records;
    }

    [Fact]
    public async Task When_a_job_names_a_csv_storage_target_Should_land_exactly_the_report_rows_in_the_file_and_leave_movie_report_untouched()
    {
        var heat = WriteFile("heat.csv", Csv(new MovieRow("949", "Heat", "60000000", "187436818", "1995-12-15")));
        var heatAbstracts = WriteFile("heat.xml", MoviesData.Dump(MoviesData.Doc("Heat (1995 film)", "Heat is a 1995 crime film.")));
        await RunAllAsync(Settings(heatAbstracts, heat));
        var previousReport = await ReportAsync();
        var previousLoader = await LoadedByAsync();

        var settings = ThreeKingKongs();
        settings.Storage = new StorageSettings { Type = StorageTypes.Csv, Settings = new StorageTargetSettings { Directory = StorageDirectory } };
        await RunAllAsync(settings);

        var file = ReadCsv(Path.Combine(StorageDirectory, "movie_report.csv"));
        Assert.Equal(["tmdb_id", "title", "budget", "year", "revenue", "ratio", "rating", "production_company", "url", "abstract"], file[0]);
        Assert.Equal(["254", "10730", "244"], file.Skip(1).Select(r => r[0]));
        // movie_report and its loads are as the previous (platform) load left them.
        Assert.Equal(previousReport, await ReportAsync());
        Assert.Equal(previousLoader, await LoadedByAsync());

        // The same job without storage: movie_report then holds exactly the rows the file got.
        settings.Storage = null;
        await RunAllAsync(settings);
        var report = await ReportAsync();
        Assert.Equal(3, report.Count);
        Assert.Equal(AsText(report), file.Skip(1).Select(r => r[1..]));
        Assert.Equal("RKO Radio Pictures", file[3][7]);
        Assert.Equal("https://en.wikipedia.org/wiki/King_Kong_(1976_film)", file[2][8]);
    }

    [Fact]
    public async Task When_a_job_names_a_mysql_target_Should_upsert_the_report_rows_there_and_hold_each_row_once_on_a_rerun()
    {
        _storage.Targets["movies_mariadb"] = new StorageTargetOptions { Type = StorageTypes.MySql, ConnectionString = Infrastructure.MySql() };
        var table = $"movies_test_{Guid.NewGuid():N}"[..32];
        var previousLoader = await LoadedByAsync();
        try
        {
            var settings = ThreeKingKongs();
            settings.Storage = new StorageSettings { Target = "movies_mariadb", Settings = new StorageTargetSettings { Table = table } };
            await RunAllAsync(settings);
            Assert.Equal(
                [(244L, "King Kong", 1933L, "RKO Radio Pictures", "King Kong is a 1933 American pre-Code adventure film."),
                 (254L, "King Kong", 2005L, "Synthetic Pictures", "King Kong is a fictional giant monster."),
                 (10730L, "King Kong", 1976L, "Synthetic Pictures", "King Kong is a 1976 American monster adventure film.")],
                await MySqlRowsAsync(table));

            // A rerun (its 2005 page edited meanwhile) updates the rows in place: each is there once, with the new abstract.
            var rerun = ThreeKingKongs("King Kong is a giant monster, remade in 2005.");
            rerun.Storage = settings.Storage;
            await RunAllAsync(rerun);
            var rows = await MySqlRowsAsync(table);
            Assert.Equal([244L, 254L, 10730L], rows.Select(r => r.Id));
            Assert.Equal("King Kong is a giant monster, remade in 2005.", rows[1].Abstract);
            Assert.Equal(previousLoader, await LoadedByAsync());
        }
        finally
        {
            await using var connection = new MySqlConnection(Infrastructure.MySql());
            await connection.OpenAsync();
            await using var drop = new MySqlCommand($"DROP TABLE IF EXISTS `{table}`", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<List<(long Id, string Title, long? Year, string? Company, string? Abstract)>> MySqlRowsAsync(string table)
    {
        await using var connection = new MySqlConnection(Infrastructure.MySql());
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"SELECT tmdb_id, title, year, production_company, abstract FROM `{table}` ORDER BY tmdb_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(long, string, long?, string?, string?)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return rows;
    }

    [Fact]
    public async Task When_the_storage_directory_is_not_allowed_Should_fail_the_job_naming_it_before_downloading()
    {
        await using var server = await LocalFileServer.StartAsync();
        var movies = server.Put("movies_metadata.csv", Encoding.UTF8.GetBytes(Csv(new MovieRow("862", "Toy Story", "30000000", "373554033.0", "1995-10-30"))), "\"m1\"");
        var abstracts = server.Put("abstracts.xml.gz", Gzip(MoviesData.Dump(MoviesData.Doc("Toy Story", "Toy Story is a 1995 film."))), "\"a1\"");
        var outside = Path.Combine(Path.GetTempPath(), $"movies-not-allowed-{Guid.NewGuid():N}");
        var settings = Settings(abstracts.ToString(), movies.ToString());
        settings.Storage = new StorageSettings { Type = StorageTypes.Csv, Settings = new StorageTargetSettings { Directory = outside } };
        var entry = Context(IntegrationTasks.Entry, settings);

        var error = await Assert.ThrowsAsync<StorageException>(() => Integration.RunAsync(entry));

        Assert.Contains(outside, error.Message);
        Assert.Contains("not inside an allowed directory", error.Message);
        Assert.Empty(entry.Children);
        Assert.Null(entry.Continuation);
        // A load sent by hand refuses it too, before fetching what its cache lacks.
        await Assert.ThrowsAsync<StorageException>(() => Integration.RunAsync(Context(MoviesIntegration.Load, settings)));
        Assert.Empty(server.Requests);
        Assert.False(Directory.Exists(outside));
    }

    [Fact]
    public void When_a_job_gives_its_storage_password_Should_accept_the_setting_and_mask_the_password_wherever_settings_are_shown()
    {
        var json = JsonSerializer.SerializeToElement(new
        {
            movies_url = "https://example.test/movies.zip",
            storage = new { type = "mysql", settings = new { hostname = "db.example.test", db = "warehouse", username = "loader", password = "movies-pw" } },
        }, SettingsJson.Options);
        var validation = SettingsValidator.Validate(SettingsSchema.For<MoviesSettings>(), json, null);
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));

        var masked = SecretMasking.Apply(validation.Settings, Integration.Describe()).GetRawText();

        Assert.DoesNotContain("movies-pw", masked);
        Assert.Contains("loader", masked);
        Assert.Contains(Integration.Describe().Settings, s => s.Name == "storage" && s.Description!.Contains("movie_report", StringComparison.Ordinal));
    }
}
