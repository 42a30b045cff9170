using System.Text.Json;
using System.Text.Json.Nodes;
using Jobs.Platforms;
using Jobs.Plugins.Reddit;
using Jobs.Plugins.Storage;
using Jobs.TestSupport;
using MySqlConnector;

namespace Jobs.Integrations.Tests.Reddit;

/// <summary>A reddit job's <c>storage</c> setting: submissions into a file or a MariaDB table instead of <c>reddit_submissions</c>.</summary>
public sealed class RedditStorageTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private RedditHarness _reddit = null!;

    private readonly string _subreddit = RedditHarness.NewSubreddit();

    private readonly List<string> _mysqlTables = [];

    public async Task InitializeAsync() => _reddit = await RedditHarness.StartAsync(host);

    public async Task DisposeAsync()
    {
        if (_mysqlTables.Count > 0)
        {
            await using var connection = new MySqlConnection(Infrastructure.MySql());
            await connection.OpenAsync();
            foreach (var table in _mysqlTables)
            {
                await using var drop = new MySqlCommand($"DROP TABLE IF EXISTS `{table}`", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }

        await _reddit.DisposeAsync();
    }

    private object Jsonl(string? file = null) => file is null
        ? new { type = "jsonl", settings = new { directory = _reddit.Directory } }
        : new { type = "jsonl", settings = new { directory = _reddit.Directory, file } };

    private string MySqlTable()
    {
        var table = $"reddit_{Guid.NewGuid():N}"[..24];
        _mysqlTables.Add(table);
        return table;
    }

    /// <summary>The storage setting as the child gets it.</summary>
    private static StorageSettings StorageOf(object storage) =>
        JsonSerializer.SerializeToElement(storage, SettingsJson.Options).Deserialize<StorageSettings>(SettingsJson.Options)!;

    /// <summary>The rows of a jsonl target file, in file order.</summary>
    private IReadOnlyList<JsonObject> JsonlRows(string file = "reddit_submissions.jsonl") =>
        File.ReadAllLines(Path.Combine(_reddit.Directory, file)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    private static async Task<IReadOnlyList<(string Fullname, string Listing, string Title, DateTime Created, long Comments)>> MySqlRowsAsync(string table)
    {
        await using var connection = new MySqlConnection(Infrastructure.MySql());
        await connection.OpenAsync();
        await using var select = new MySqlCommand($"SELECT fullname, listing, title, created_utc, num_comments FROM `{table}` ORDER BY created_utc DESC, fullname DESC", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<(string, string, string, DateTime, long)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDateTime(3), reader.GetInt64(4)));
        return rows;
    }

    [Fact]
    public async Task When_a_job_names_a_jsonl_target_Should_land_the_submissions_there_once_and_not_in_the_platform_table()
    {
        var posts = _reddit.Api.Publish(_subreddit, 5, comments: 3);
        var storage = Jsonl();

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 5, storage: storage);

        var all = _reddit.Api.Fullnames(_subreddit);
        var rows = JsonlRows();
        Assert.Equal(all.Order(), rows.Select(r => (string)r["fullname"]!).Order());
        var newest = posts.Single(p => (string)p["name"]! == all[0]);
        var row = rows.Single(r => (string)r["fullname"]! == all[0]);
        Assert.Equal((_subreddit, (string)newest["title"]!, 3L, DateTimeOffset.FromUnixTimeSeconds((long)(double)newest["created_utc"]!)),
            ((string)row["listing"]!, (string)row["title"]!, (long)row["num_comments"]!, DateTimeOffset.Parse((string)row["created_utc"]!)));
        Assert.Empty(await _reddit.StoredAsync(_subreddit));
        Assert.Equal(all[0], (await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)))?.Fullname);
        Assert.Null(await _reddit.Cursors.GetAsync(_subreddit));
        Assert.Equal(0, RedditMetrics.NewSubmissions.WithLabels(_subreddit).Value);
    }

    [Fact]
    public async Task When_a_job_reruns_into_its_jsonl_target_Should_fetch_only_the_newer_submissions_from_the_targets_cursor()
    {
        _reddit.Api.Publish(_subreddit, 3);
        var storage = Jsonl();
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3, storage: storage);
        var cursor = (await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)))!.Fullname;
        _reddit.Api.Publish(_subreddit, 4);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3, storage: storage);

        var all = _reddit.Api.Fullnames(_subreddit);
        Assert.Equal(all.Order(), JsonlRows().Select(r => (string)r["fullname"]!).Order());
        Assert.Equal([cursor, all[1]], _reddit.Api.ListingRequests.Skip(1).Select(r => r.Before));
        Assert.Equal(all[0], (await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)))?.Fullname);
        Assert.Empty(await _reddit.StoredAsync(_subreddit));
    }

    [Fact]
    public async Task When_the_platform_table_already_has_the_submissions_Should_start_a_target_as_a_first_run_with_a_cursor_of_its_own()
    {
        _reddit.Api.Publish(_subreddit, 4);
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2, firstRunPages: 2);
        var platformCursor = await _reddit.Cursors.GetAsync(_subreddit);
        var storage = Jsonl();

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2, firstRunPages: 2, storage: storage);

        var all = _reddit.Api.Fullnames(_subreddit);
        // Neither the platform's cursor nor its newest stored row decides where the target starts: the latest pages do.
        Assert.Equal([(null, null), (null, all[1])], _reddit.Api.ListingRequests.Skip(2).Select(r => (r.Before, r.After)));
        Assert.Equal(all, JsonlRows().Select(r => (string)r["fullname"]!));
        Assert.Equal(platformCursor, await _reddit.Cursors.GetAsync(_subreddit));
        Assert.NotEqual(_reddit.Cursors.KeyOf(_subreddit), _reddit.Cursors.KeyOf(_subreddit, StorageOf(storage)));
        Assert.Equal(all[0], (await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)))?.Fullname);
    }

    [Fact]
    public async Task When_a_page_into_a_target_cannot_be_read_Should_fail_the_child_keep_the_targets_cursor_and_lose_nothing_on_the_next_run()
    {
        var storage = Jsonl();
        _reddit.Api.Publish(_subreddit, 2);
        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2, storage: storage);
        var cursor = await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage));
        _reddit.Api.Publish(_subreddit, 5);
        var firstPage = true;
        _reddit.Api.Script(_ =>
        {
            if (firstPage) { firstPage = false; return null; }
            return new ScriptedAnswer(200, """{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_""");
        });

        var failed = await _reddit.RunAsync(new { subreddits = new[] { _subreddit }, page_limit = 2, storage });

        Assert.False(failed.Only.Succeeded);
        Assert.Contains("malformed JSON", failed.Only.Error);
        // The first page of the failed run is in the file, but the cursor did not move past it.
        Assert.Equal(4, JsonlRows().Count);
        Assert.Equal(cursor, await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)));

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 2, storage: storage);

        var all = _reddit.Api.Fullnames(_subreddit);
        Assert.Equal(all.Order(), JsonlRows().Select(r => (string)r["fullname"]!).Order());
        Assert.Equal(all[0], (await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)))?.Fullname);
    }

    [Fact]
    public async Task When_a_job_names_the_configured_mysql_target_Should_land_the_submissions_there_once_and_a_rerun_only_the_newer_ones()
    {
        var table = MySqlTable();
        var storage = new { target = RedditHarness.MySqlTarget, settings = new { table } };
        _reddit.Api.Publish(_subreddit, 6);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3, firstRunPages: 2, storage: storage);

        var first = _reddit.Api.Fullnames(_subreddit);
        Assert.Equal(first, (await MySqlRowsAsync(table)).Select(r => r.Fullname));
        Assert.All(await MySqlRowsAsync(table), r => Assert.Equal(_subreddit, r.Listing));
        Assert.Empty(await _reddit.StoredAsync(_subreddit));
        _reddit.Api.Publish(_subreddit, 2);

        await _reddit.RunSubredditAsync(_subreddit, pageLimit: 3, firstRunPages: 2, storage: storage);

        var all = _reddit.Api.Fullnames(_subreddit);
        Assert.Equal(all, (await MySqlRowsAsync(table)).Select(r => r.Fullname));
        Assert.Equal([first[0]], _reddit.Api.ListingRequests.Skip(2).Select(r => r.Before));
        Assert.Equal(all[0], (await _reddit.Cursors.GetAsync(_subreddit, StorageOf(storage)))?.Fullname);
        Assert.Empty(await _reddit.StoredAsync(_subreddit));
    }

    [Fact]
    public async Task When_the_target_table_has_a_column_that_does_not_fit_Should_fail_the_entry_naming_it_and_spawn_no_child()
    {
        var table = MySqlTable();
        await using (var connection = new MySqlConnection(Infrastructure.MySql()))
        {
            await connection.OpenAsync();
            await using var create = new MySqlCommand($"""
                CREATE TABLE `{table}` (fullname VARCHAR(64) NOT NULL PRIMARY KEY, listing TEXT, subreddit TEXT, title TEXT, author TEXT,
                    created_utc DATETIME(6), score VARCHAR(8), num_comments BIGINT, selftext_length BIGINT, url TEXT, permalink TEXT, fetched_at DATETIME(6))
                """, connection);
            await create.ExecuteNonQueryAsync();
        }

        _reddit.Api.Publish(_subreddit, 2);

        var run = await _reddit.RunAsync(new { subreddits = new[] { _subreddit }, storage = new { target = RedditHarness.MySqlTarget, settings = new { table } } });

        Assert.False(run.Entry.Succeeded);
        Assert.Contains($"column 'score' of {table} is varchar, which cannot hold a integer", run.Entry.Error);
        Assert.Empty(run.Children);
        Assert.Empty(_reddit.Api.ListingRequests);
    }

    [Theory]
    [InlineData("""{"target": "nowhere"}""", "storage target 'nowhere' is not configured")]
    [InlineData("""{"type": "jsonl", "settings": {"directory": "/etc"}}""", "storage directory '/etc' is not inside an allowed directory")]
    [InlineData("""{"type": "mysql", "settings": {"hostname": "db.example", "db": "x", "username": "u", "password": "pw-not-to-show"}}""",
        "storage host 'db.example' is not in the service's Storage:AllowedHosts")]
    [InlineData("""{"settings": {"directory": "/tmp"}}""", "storage.settings: name the `type`")]
    public async Task When_the_storage_target_is_unknown_or_not_allowed_Should_fail_the_entry_saying_why_and_spawn_no_child(string storage, string error)
    {
        var run = await _reddit.RunAsync(new { subreddits = new[] { _subreddit }, storage = JsonNode.Parse(storage) });

        Assert.False(run.Entry.Succeeded);
        Assert.Contains(error, run.Entry.Error);
        Assert.DoesNotContain("pw-not-to-show", run.Entry.Error);
        Assert.Empty(run.Children);
    }

    [Fact]
    public async Task When_the_entry_has_a_storage_target_Should_give_it_to_every_child()
    {
        var steps = await _reddit.EntryAsync(new { subreddits = new[] { "askreddit", "pics" }, storage = Jsonl("subs.jsonl") });

        Assert.All(steps, s => Assert.Equal(("jsonl", _reddit.Directory, "subs.jsonl"), (s.Storage?.Type, s.Storage?.Settings?.Directory, s.Storage?.Settings?.File)));
        Assert.Equal(2, steps.Count);
        Assert.Empty(_reddit.Api.ListingRequests);
    }

    [Fact]
    public void When_storage_targets_differ_Should_key_their_cursors_apart_but_never_by_the_password()
    {
        var cursors = _reddit.Cursors;
        StorageSettings MySql(string password, string? table = null, int? port = null) => new()
        {
            Type = StorageTypes.MySql,
            Settings = new StorageTargetSettings { Hostname = "127.0.0.1", Port = port, Db = "jobs", Username = "jobs", Password = password, Table = table },
        };

        var key = cursors.KeyOf("askreddit", MySql("first-password"));

        Assert.Equal(key, cursors.KeyOf("askreddit", MySql("second-password")));
        Assert.Equal(key, cursors.KeyOf("askreddit", MySql("first-password", SubmissionStore.Table, 3306)));
        Assert.NotEqual(key, cursors.KeyOf("askreddit", MySql("first-password", "other_table")));
        Assert.NotEqual(key, cursors.KeyOf("askreddit", new StorageSettings { Target = "warehouse" }));
        Assert.DoesNotContain("first-password", key);
        Assert.Matches($"^{_reddit.Options.RedisPrefix}cursor:askreddit:[0-9a-f]{{12}}$", key);
        Assert.Equal($"{_reddit.Options.RedisPrefix}cursor:askreddit", cursors.KeyOf("askreddit", new StorageSettings()));
    }
}
