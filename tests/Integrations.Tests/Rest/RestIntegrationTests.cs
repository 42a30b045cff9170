using System.Text.Json;
using Jobs.Platforms;
using Jobs.Plugins.Http;
using Jobs.Plugins.Rest;
using Jobs.Plugins.Storage;
using Jobs.TestSupport;
using MySqlConnector;
using Npgsql;

namespace Jobs.Integrations.Tests.Rest;

/// <summary>The <c>rest</c> platform against a report API on loopback: each pagination, each auth, windows, the incremental mark, targets.</summary>
public sealed class RestIntegrationTests(HostFixture host) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private static readonly DateOnly Nov1 = new(2026, 11, 1);
    private RestHarness _rest = null!;

    public async Task InitializeAsync() => _rest = await RestHarness.StartAsync(host, Configure);

    public async Task DisposeAsync() => await _rest.DisposeAsync();

    /// <summary>A configured source and credential, as a deployment's appsettings would have them.</summary>
    private static void Configure(RestOptions options, Uri api)
    {
        options.Credentials["reports-login"] = new RestCredential { Username = FakeReportApi.User, Password = FakeReportApi.Password };
        options.Sources["reports"] = new RestSettings
        {
            Url = new Uri(api, "v1/reports").ToString(),
            Query = new() { ["from"] = "{start_date}", ["to"] = "{end_date}", ["page"] = "{page}", ["per_page"] = "{limit}" },
            Auth = new RestAuth { Type = "basic", Credential = "reports-login" },
            Pagination = new RestPagination { Type = "page_number", PageSize = 4, TotalPath = "meta.total" },
            RecordsPath = "data.items",
            Fields = ReportFields(),
            PrimaryKey = ["id"],
            WindowDays = 2,
        };
    }

    private static List<RestField> ReportFields() =>
    [
        new() { Name = "id", Type = "integer" },
        new() { Name = "day", Type = "date" },
        new() { Name = "name", Path = "attributes.name" },
        new() { Name = "amount", Type = "number" },
        new() { Name = "updated_at", Type = "timestamp" },
        new() { Name = "tags", Path = "attributes.tags", Type = "json" },
    ];

    private static string NewTable() => $"rest_t{Guid.NewGuid():N}"[..20];

    /// <summary>A page-number job with basic auth given in the job itself.</summary>
    private object PageNumberJob(string table, object? extra = null)
    {
        var settings = new Dictionary<string, object?>
        {
            ["url"] = _rest.Url("v1/reports"),
            ["query"] = new Dictionary<string, string> { ["page"] = "{page}", ["per_page"] = "{limit}" },
            ["auth"] = new { type = "basic", username = FakeReportApi.User, password = FakeReportApi.Password },
            ["pagination"] = new { type = "page_number", page_size = 10 },
            ["records_path"] = "data.items",
            ["fields"] = ReportFields().Select(f => new { name = f.Name, path = f.Path, type = f.Type }),
            ["primary_key"] = new[] { "id" },
            ["table"] = table,
        };
        foreach (var property in JsonSerializer.SerializeToElement(extra ?? new { }, SettingsJson.Options).EnumerateObject()) settings[property.Name] = property.Value;
        return settings;
    }

    private async Task<List<object?[]>> RowsAsync(string table, string columns = "id, day, name, amount, updated_at, tags::text")
    {
        await using var command = host.Postgres.CreateCommand($"SELECT {columns} FROM \"{table}\" ORDER BY id");
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task When_a_source_pages_by_page_number_with_basic_auth_Should_land_every_record_with_its_types()
    {
        _rest.Api.Add(Nov1, Nov1.AddDays(4), 5);
        var table = NewTable();

        var run = await _rest.RunAsync(PageNumberJob(table));

        Assert.True(run.Succeeded, run.Errors);
        var rows = await RowsAsync(table);
        Assert.Equal(25, rows.Count);
        Assert.Equal([1L, new DateOnly(2026, 11, 1), "report 1", 11.25, new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc), """["daily", "d1"]"""], rows[0]);
        // 25 records in pages of 10: the third page is short, so it is the last.
        Assert.Equal(["1", "2", "3"], _rest.Api.Listings.Select(r => r.Query["page"]));
        Assert.All(_rest.Api.Listings, r => Assert.StartsWith("Basic ", r.Authorization));
    }

    [Fact]
    public async Task When_the_same_job_runs_again_Should_hold_each_record_once_with_its_latest_values()
    {
        _rest.Api.Add(Nov1, Nov1, 12);
        var table = NewTable();
        Assert.True((await _rest.RunAsync(PageNumberJob(table))).Succeeded);
        _rest.Api.Update(3, r => r with { Name = "renamed" });

        var again = await _rest.RunAsync(PageNumberJob(table));

        Assert.True(again.Succeeded, again.Errors);
        var rows = await RowsAsync(table, "id, name");
        Assert.Equal(12, rows.Count);
        Assert.Equal("renamed", rows[2][1]);
    }

    [Fact]
    public async Task When_a_window_is_longer_than_window_days_Should_run_one_child_per_window_with_its_dates()
    {
        _rest.Api.Add(Nov1, Nov1.AddDays(6), 3);
        var table = NewTable();

        var run = await _rest.RunAsync(new { source = "reports", start_date = "2026-11-02", end_date = "2026-11-06", table, auth = new { } });

        Assert.True(run.Succeeded, run.Errors);
        Assert.Equal([("2026-11-02", "2026-11-03"), ("2026-11-04", "2026-11-05"), ("2026-11-06", "2026-11-06")],
            run.Children.Select(c => ($"{c.Step.WindowStart:yyyy-MM-dd}", $"{c.Step.WindowEnd:yyyy-MM-dd}")));
        Assert.Equal(15, (await RowsAsync(table)).Count);
        Assert.All(await RowsAsync(table, "day"), r => Assert.InRange((DateOnly)r[0]!, new DateOnly(2026, 11, 2), new DateOnly(2026, 11, 6)));
        // Each 2-day window has 6 records: pages of 4 (the source's page_size) and the total stop paging after the second.
        Assert.Equal(2, _rest.Api.Listings.Count(r => r.Query["from"] == "2026-11-02"));
    }

    [Fact]
    public async Task When_a_90_day_pull_has_window_days_1_Should_run_90_children_of_one_day_each()
    {
        var first = new DateOnly(2026, 8, 1);
        _rest.Api.Add(first, first.AddDays(90), 1);
        var table = NewTable();

        var run = await _rest.RunAsync(new { source = "reports", start_date = "2026-08-01", end_date = "2026-10-29", window_days = 1, table, auth = new { } });

        Assert.True(run.Succeeded, run.Errors);
        Assert.Equal(Enumerable.Range(0, 90).Select(i => (first.AddDays(i), first.AddDays(i))),
            run.Children.Select(c => (c.Step.WindowStart!.Value, c.Step.WindowEnd!.Value)));
        Assert.Equal(90, (await RowsAsync(table)).Count);
    }

    [Fact]
    public async Task When_dates_are_relative_Should_resolve_them_at_submit_and_record_them_resolved()
    {
        var settings = RestHarness.Validated(new { source = "reports", start_date = "4 days back", end_date = "yesterday" }, today: new DateOnly(2026, 12, 4));
        Assert.Equal("2026-11-30", settings.GetProperty("start_date").GetString());
        Assert.Equal("2026-12-03", settings.GetProperty("end_date").GetString());
        var schema = _rest.Integration.Describe().Settings;
        Assert.Equal("date", schema.Single(s => s.Name == "start_date").Type);
        Assert.Equal("object", schema.Single(s => s.Name == "storage").Type);
    }

    [Fact]
    public async Task When_a_job_names_a_configured_source_and_credential_Should_keep_the_secret_in_the_service()
    {
        _rest.Api.Add(Nov1, Nov1, 2);
        var table = NewTable();

        var run = await _rest.RunAsync(new { source = "reports", start_date = "2026-11-01", end_date = "2026-11-01", table });

        Assert.True(run.Succeeded, run.Errors);
        Assert.Equal(2, (await RowsAsync(table)).Count);
        // The children get the credential's name, never its password.
        var child = Assert.Single(run.Children);
        Assert.Equal("reports-login", child.Step.Auth.Credential);
        Assert.DoesNotContain(FakeReportApi.Password, child.Settings.GetRawText());
    }

    [Fact]
    public async Task When_a_job_gives_its_password_Should_mask_it_wherever_settings_are_shown()
    {
        var settings = RestHarness.Validated(PageNumberJob("t", new { storage = new { type = "mysql", settings = new { hostname = "127.0.0.1", db = "jobs", username = "jobs", password = "mysql-pw" } } }));
        var masked = SecretMasking.Apply(settings, _rest.Integration.Describe()).GetRawText();
        Assert.DoesNotContain(FakeReportApi.Password, masked);
        Assert.DoesNotContain("mysql-pw", masked);
        Assert.Contains(FakeReportApi.User, masked);
    }

    [Fact]
    public async Task When_a_source_pages_by_cursor_with_a_bearer_token_Should_follow_the_cursor_to_the_end()
    {
        _rest.Api.Add(Nov1, Nov1, 23);
        var table = NewTable();

        var run = await _rest.RunAsync(new
        {
            url = _rest.Url("v1/cursor"),
            query = new Dictionary<string, string> { ["cursor"] = "{cursor}", ["limit"] = "{limit}" },
            auth = new { type = "bearer", token = FakeReportApi.StaticToken },
            pagination = new { type = "cursor", cursor_path = "next_cursor", page_size = 10 },
            records_path = "results",
            fields = new[] { new { name = "id", type = "integer" }, new { name = "amount", type = "number" } },
            primary_key = new[] { "id" },
            table,
        });

        Assert.True(run.Succeeded, run.Errors);
        Assert.Equal(23, (await RowsAsync(table, "id")).Count);
        // The first request has no cursor parameter at all; then the last id of each page.
        Assert.Equal([null, "10", "20"], _rest.Api.Listings.Select(r => r.Query.GetValueOrDefault("cursor")));
    }

    private object LinkedJob(string table) => new
    {
        url = _rest.Url("v1/linked?limit=5"),
        auth = new { type = "oauth2", token_url = _rest.Api.TokenUri.ToString(), client_id = FakeReportApi.ClientId, client_secret = FakeReportApi.ClientSecret },
        pagination = new { type = "next_link" },
        fields = new[] { new { name = "id", type = "integer" }, new { name = "updated_at", type = "timestamp" } },
        primary_key = new[] { "id" },
        table,
    };

    [Fact]
    public async Task When_a_source_pages_by_link_header_with_oauth2_Should_reuse_the_cached_token_and_renew_it_once_when_refused()
    {
        _rest.Api.Add(Nov1, Nov1, 12);
        var table = NewTable();

        var first = await _rest.RunAsync(LinkedJob(table));
        var second = await _rest.RunAsync(LinkedJob(table));
        Assert.True(first.Succeeded && second.Succeeded, first.Errors + second.Errors);
        Assert.Equal(1, _rest.Api.TokensIssued);
        Assert.Equal(12, (await RowsAsync(table, "id")).Count);
        // Pages of 5 by the Link header's rel="next": after=5, after=10, and no link after the last.
        Assert.Equal([null, "5", "10"], _rest.Api.Listings.Take(3).Select(r => r.Query.GetValueOrDefault("after")));

        _rest.Api.RevokeTokens();
        var third = await _rest.RunAsync(LinkedJob(table));
        Assert.True(third.Succeeded, third.Errors);
        Assert.Equal(2, _rest.Api.TokensIssued);
    }

    [Fact]
    public async Task When_the_oauth_client_is_refused_Should_fail_the_entry_naming_the_token_url_without_the_secret()
    {
        var job = JsonSerializer.SerializeToNode(LinkedJob(NewTable()), SettingsJson.Options)!;
        job["auth"]!["client_secret"] = "wrong-secret-value";

        var run = await _rest.RunAsync(job);

        Assert.False(run.Entry.Succeeded);
        Assert.Empty(run.Children);
        Assert.Contains($"POST {_rest.Api.TokenUri} (OAuth client_credentials token) failed: 401", run.Entry.Error);
        Assert.DoesNotContain("wrong-secret-value", run.Entry.Error);
    }

    [Fact]
    public async Task When_the_api_answers_429_with_retry_after_Should_wait_that_long_and_go_on()
    {
        _rest.Api.Add(Nov1, Nov1, 15);
        var table = NewTable();
        var once = 0;
        _rest.Api.Script(r => r.Query.GetValueOrDefault("page") == "2" && Interlocked.Exchange(ref once, 1) == 0
            ? (429, """{"error":"slow down"}""", new Dictionary<string, string> { ["Retry-After"] = "1" })
            : null);

        var run = await _rest.RunAsync(PageNumberJob(table));

        Assert.True(run.Succeeded, run.Errors);
        Assert.Equal(15, (await RowsAsync(table, "id")).Count);
        var pageTwo = _rest.Api.Listings.Where(r => r.Query["page"] == "2").ToList();
        Assert.Equal(2, pageTwo.Count);
        Assert.True(pageTwo[1].At - pageTwo[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(pageTwo[1].At - pageTwo[0].At).TotalMilliseconds} ms");
    }

    private object IncrementalJob(string table) => PageNumberJob(table, new
    {
        query = new Dictionary<string, string> { ["page"] = "{page}", ["per_page"] = "{limit}", ["since"] = "{since}" },
        incremental = new { field = "updated_at" },
    });

    [Fact]
    public async Task When_the_source_is_incremental_Should_ask_since_the_mark_skip_what_it_covers_and_move_it_after_storing()
    {
        _rest.Api.Add(Nov1, Nov1, 8);
        var table = NewTable();
        var first = await _rest.RunAsync(IncrementalJob(table));
        Assert.True(first.Succeeded, first.Errors);
        Assert.Null(_rest.Api.Listings[0].Query.GetValueOrDefault("since"));
        var mark = first.Children[0].Step.IncrementalKey!;
        Assert.Equal("2026-11-01T12:07:00Z", (string?)await _rest.Redis.HashGetAsync($"{_rest.Options.RedisPrefix}mark:{mark}", "value"));

        _rest.Api.Add(Nov1.AddDays(1), Nov1.AddDays(1), 3);
        var second = await _rest.RunAsync(IncrementalJob(table));

        Assert.True(second.Succeeded, second.Errors);
        Assert.Equal("2026-11-01T12:07:00Z", second.Children[0].Step.Since);
        Assert.Equal("2026-11-01T12:07:00Z", _rest.Api.Listings[^1].Query["since"]);
        Assert.Equal(11, (await RowsAsync(table, "id")).Count);
        Assert.Equal("2026-11-02T12:02:00Z", (string?)await _rest.Redis.HashGetAsync($"{_rest.Options.RedisPrefix}mark:{mark}", "value"));
    }

    [Fact]
    public async Task When_a_page_is_malformed_Should_fail_its_child_naming_the_url_and_leave_the_mark_where_it_was()
    {
        _rest.Api.Add(Nov1, Nov1, 25);
        var table = NewTable();
        _rest.Api.Script(r => r.Query.GetValueOrDefault("page") == "2" ? (200, """{"data": {"items": [{"id": 11,""", null) : null);

        var run = await _rest.RunAsync(IncrementalJob(table));

        Assert.True(run.Entry.Succeeded, run.Entry.Error);
        var child = Assert.Single(run.Children);
        Assert.False(child.Outcome.Succeeded);
        Assert.Contains($"GET {_rest.Url("v1/reports")}?page=2&per_page=10 failed: the answer is not JSON", child.Outcome.Error);
        Assert.False(await _rest.Redis.KeyExistsAsync($"{_rest.Options.RedisPrefix}mark:{child.Step.IncrementalKey}"));
        // The first page is stored (an upsert: the retry writes it again), nothing of the broken one.
        Assert.Equal(10, (await RowsAsync(table, "id")).Count);
    }

    [Fact]
    public async Task When_a_record_does_not_fit_its_field_type_Should_fail_naming_the_record_and_the_field()
    {
        var table = NewTable();
        _rest.Api.Script(r => r.Path == "/v1/reports"
            ? (200, """{"data": {"items": [{"id": 1, "amount": "12.5"}, {"id": 2, "amount": "a lot"}]}}""", null)
            : null);

        var run = await _rest.RunAsync(PageNumberJob(table));

        Assert.Contains("record 1, field 'amount' (amount): \"a lot\" is not a number", run.Children[0].Outcome.Error);
    }

    [Fact]
    public async Task When_a_next_link_leaves_the_host_Should_fail_rather_than_send_the_credentials_there()
    {
        var table = NewTable();
        _rest.Api.Script(r => r.Path == "/v1/offset"
            ? (200, """{"items": [{"id": 1}], "next": "https://elsewhere.example/v1/offset?token=abc"}""", null)
            : null);

        var run = await _rest.RunAsync(new
        {
            url = _rest.Url("v1/offset"),
            pagination = new { type = "next_link", next_link_path = "next" },
            records_path = "items",
            fields = new[] { new { name = "id", type = "integer" } },
            primary_key = new[] { "id" },
            table,
        });

        Assert.Contains("the next link https://elsewhere.example/v1/offset?token=*** leaves 127.0.0.1:", run.Children[0].Outcome.Error);
    }

    [Fact]
    public async Task When_a_source_pages_by_offset_into_a_mysql_target_Should_land_the_rows_there_and_not_in_the_platforms_store()
    {
        _rest.Api.Add(Nov1, Nov1, 9);
        var table = NewTable();
        var mysql = new MySqlConnectionStringBuilder(Infrastructure.MySql());
        try
        {
            var run = await _rest.RunAsync(new
            {
                url = _rest.Url("v1/offset"),
                query = new Dictionary<string, string> { ["offset"] = "{offset}", ["limit"] = "{limit}" },
                pagination = new { type = "offset", page_size = 4 },
                records_path = "items",
                fields = ReportFields().Select(f => new { name = f.Name, path = f.Path, type = f.Type }),
                primary_key = new[] { "id" },
                table,
                storage = new { type = "mysql", settings = new { hostname = mysql.Server, port = mysql.Port, db = mysql.Database, username = mysql.UserID, password = mysql.Password } },
            });

            Assert.True(run.Succeeded, run.Errors);
            Assert.Equal(["0", "4", "8"], _rest.Api.Listings.Select(r => r.Query["offset"]));
            await using var connection = new MySqlConnection(mysql.ConnectionString);
            await connection.OpenAsync();
            await using var count = new MySqlCommand($"SELECT COUNT(*), MAX(amount), MIN(`day`) FROM `{table}`", connection);
            await using var reader = await count.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(9L, reader.GetInt64(0));
            Assert.Equal(19.25, reader.GetDouble(1));
            await using var exists = host.Postgres.CreateCommand($"SELECT to_regclass('public.\"{table}\"') IS NULL");
            Assert.True((bool)(await exists.ExecuteScalarAsync())!);
        }
        finally
        {
            await using var connection = new MySqlConnection(mysql.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new MySqlCommand($"DROP TABLE IF EXISTS `{table}`", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task When_rows_go_to_a_csv_file_Should_hold_each_record_once_under_a_header_also_after_a_rerun()
    {
        _rest.Api.Add(Nov1, Nov1, 12);
        var job = PageNumberJob("reports", new { storage = new { type = "csv", settings = new { directory = _rest.Directory } } });

        var first = await _rest.RunAsync(job);
        Assert.True(first.Succeeded, first.Errors);
        _rest.Api.Update(3, r => r with { Amount = 99.5m });
        var second = await _rest.RunAsync(job);
        Assert.True(second.Succeeded, second.Errors);

        var lines = File.ReadAllLines(Path.Combine(_rest.Directory, "reports.csv"));
        Assert.Equal("id,day,name,amount,updated_at,tags", lines[0]);
        Assert.Equal(13, lines.Length);
        Assert.Equal(12, lines.Skip(1).Select(l => l.Split(',')[0]).Distinct().Count());
        Assert.Contains(lines, l => l.StartsWith("3,", StringComparison.Ordinal) && l.Contains(",99.5,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_rows_go_to_a_jsonl_file_Should_keep_samples_of_the_first_page_as_fetched_and_as_stored()
    {
        _rest.Api.Add(Nov1, Nov1, 3);
        var run = await _rest.RunAsync(PageNumberJob("reports", new { sample_records = 2, storage = new { type = "jsonl", settings = new { directory = _rest.Directory } } }));

        Assert.True(run.Succeeded, run.Errors);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(_rest.Directory, "reports.jsonl")).Length);
        var child = run.Children[0].Outcome.ChildJobId;
        var original = (await _rest.DatasetAsync(run.Root, child, "original"))!.AsArray();
        var processed = (await _rest.DatasetAsync(run.Root, child, "processed"))!.AsArray();
        Assert.Equal(2, original.Count);
        Assert.Equal("report 1", original[0]!["attributes"]!["name"]!.GetValue<string>());
        Assert.Equal("report 1", processed[0]!["name"]!.GetValue<string>());
        Assert.Equal("11.25", processed[0]!["amount"]!.GetValue<string>());
    }

    [Fact]
    public async Task When_the_settings_do_not_fit_Should_fail_the_entry_naming_every_problem_and_spawn_nothing()
    {
        var run = await _rest.RunAsync(new
        {
            url = _rest.Url("v1/reports?from={start_day}"),
            pagination = new { type = "cursor" },
            fields = new[] { new { name = "id", type = "integer" }, new { name = "id", type = "number" } },
            primary_key = new[] { "ident" },
            table = "bad table",
            start_date = "2026-11-02",
        });

        Assert.False(run.Entry.Succeeded);
        Assert.Empty(run.Children);
        foreach (var expected in new[]
                 {
                     "url: unknown placeholder '{start_day}'", "start_date and end_date go together",
                     "pagination cursor needs {cursor}", "fields: 'id' is named twice", "primary_key 'ident' is not one of the fields",
                     "table 'bad table' must be a plain name",
                 })
            Assert.Contains(expected, run.Entry.Error);
    }

    [Fact]
    public void When_nested_settings_have_a_typo_a_wrong_type_or_a_value_not_allowed_Should_be_refused_at_submit_naming_each_path()
    {
        var validation = SettingsValidator.Validate(SettingsSchema.For<RestSettings>(), JsonSerializer.SerializeToElement(new
        {
            url = "https://api.example/v1",
            auth = new { type = "basics", pasword = "x" },
            pagination = new { type = "page_number", page_size = "ten" },
            fields = new object[] { new { name = "id", type = "integer" }, new { path = "a.b", type = "money" }, "day" },
            storage = new { type = "sqlite", settings = new { hostname = 5 } },
        }, SettingsJson.Options));

        Assert.Equal(
        [
            "auth.pasword", "auth.type", "fields[1].name", "fields[1].type", "fields[2]", "pagination.page_size", "storage.settings.hostname", "storage.type",
        ], validation.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith("must be one of: none, basic, bearer, oauth2", validation.Errors["auth.type"][0]);
        Assert.StartsWith("unknown setting; known settings: client_auth, client_id", validation.Errors["auth.pasword"][0]);
        Assert.Equal(["is required"], validation.Errors["fields[1].name"]);
        Assert.Equal(["must be an object"], validation.Errors["fields[2]"]);
        Assert.Equal(["must be a whole number"], validation.Errors["pagination.page_size"]);
        Assert.Equal(["must be a string"], validation.Errors["storage.settings.hostname"]);
        Assert.StartsWith("must be one of: postgres, mysql, csv, jsonl", validation.Errors["storage.type"][0]);
    }

    [Fact]
    public void When_nested_settings_fit_their_shape_Should_pass_through_unchanged()
    {
        var given = RestHarness.Validated(new
        {
            url = "https://api.example/v1",
            auth = new { type = "oauth2", token_url = "https://api.example/token", client_id = "c", client_secret = "s" },
            fields = new[] { new { name = "id", type = "integer" } },
            primary_key = new[] { "id" },
            storage = new { target = "warehouse" },
        });

        Assert.Equal("""{"type":"oauth2","token_url":"https://api.example/token","client_id":"c","client_secret":"s"}""", given.GetProperty("auth").GetRawText());
        Assert.Equal("""[{"name":"id","type":"integer"}]""", given.GetProperty("fields").GetRawText());
        Assert.Equal("""{"target":"warehouse"}""", given.GetProperty("storage").GetRawText());
    }

    [Fact]
    public async Task When_a_job_names_an_unknown_source_Should_say_which_are_configured()
    {
        var run = await _rest.RunAsync(new { source = "coinis" });
        Assert.Equal("InvalidOperationException: source 'coinis' is not configured; configured: reports", run.Entry.Error);
    }

    [Fact]
    public async Task When_the_target_table_has_a_column_that_does_not_fit_Should_fail_the_entry_naming_it()
    {
        var table = NewTable();
        await using (var create = host.Postgres.CreateCommand($"CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, day date, name text, amount text, updated_at timestamptz, tags jsonb)"))
            await create.ExecuteNonQueryAsync();

        var run = await _rest.RunAsync(PageNumberJob(table));

        Assert.Empty(run.Children);
        Assert.Contains($"column 'amount' of public.{table} is text, which cannot hold a number", run.Entry.Error);
    }

    [Fact]
    public void When_a_url_carries_a_key_in_its_query_Should_show_it_masked()
    {
        Assert.Equal("https://api.example/v1?api_key=***&day=1&access_token=***",
            UriDisplay.Shown(new Uri("https://api.example/v1?api_key=abc&day=1&access_token=xyz")));
    }

    [Fact]
    public void When_a_configured_source_is_broken_Should_name_it_at_start()
    {
        var options = new RestOptions();
        options.Sources["broken"] = new RestSettings { Url = "ftp://x/{page}", Fields = [], StartDate = Nov1 };
        var problems = options.Problems().ToList();
        Assert.Contains("Rest:Sources:broken: start_date and end_date belong to a job, not to its source", problems);
        Assert.Contains("Rest:Sources:broken: url 'ftp://x/{page}' is not an absolute http(s) URL", problems);
        Assert.Contains("Rest:Sources:broken: fields: name at least one field to keep", problems);
    }
}
