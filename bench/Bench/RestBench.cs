using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Jobs.TestSupport;
using MySqlConnector;
using Npgsql;
using NpgsqlTypes;

namespace Jobs.Bench;

internal static class RestBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        // rest throughput: the five services as processes (Release) and a report API served by this process on loopback without
        // rate limit. One rest job through POST /jobs pulls every record: one window child per day, pages of --page-size
        // records (page numbers, basic auth), typed fields, upserted on the id into the platform's PostgreSQL, then the same
        // job into MariaDB (a named storage target). Next to each, the limit: the same rows written by this process alone,
        // with binary COPY into PostgreSQL and with multi-row INSERTs (one transaction) into MariaDB.
        var records = int.Parse(BenchArgs.Value(args, "--records", "100000"), CultureInfo.InvariantCulture);
        var days = int.Parse(BenchArgs.Value(args, "--days", "10"), CultureInfo.InvariantCulture);
        var pageSize = int.Parse(BenchArgs.Value(args, "--page-size", "1000"), CultureInfo.InvariantCulture);

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {Environment.OSVersion}");
        await using var api = await FakeReportApi.StartAsync();
        var first = new DateOnly(2026, 11, 1);
        var reports = api.Add(first, first.AddDays(days - 1), (records + days - 1) / days);
        var prefix = $"bench-{Guid.NewGuid():N}";
        var table = $"bench_rest_{Guid.NewGuid():N}"[..24];
        var mysql = Infrastructure.MySql();
        Console.WriteLine($"report API: {reports.Count:N0} records over {days} days, {pageSize} to a page, at {api.BaseUri}");
        Console.WriteLine("starting the five services (Release) on a fresh virtual host ...");
        await using var system = await ServiceSystem.StartAsync("bench", new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Security__RateLimit__PermitsPerSecond"] = "100000",
            ["Security__RateLimit__Burst"] = "100000",
            ["Integrations__Http__Hosts__127.0.0.1__RequestsPerSecond"] = "0",
            // The report API listens on loopback, which the outbound policy refuses unless allowed.
            ["Integrations__Http__Integrations__rest__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Integrations__Http__KeyPrefix"] = $"{prefix}-http:",
            ["Rest__RedisPrefix"] = $"{prefix}-rest:",
            ["Storage__Targets__mariadb__Type"] = "mysql",
            ["Storage__Targets__mariadb__ConnectionString"] = mysql,
        }, "Release");
        using var client = system.ApiClient();

        var warm = await PullAsync(null, $"{table}_warm", first, first);
        Console.WriteLine($"warm-up: one day into PostgreSQL in {warm.Seconds:F2} s ({warm.Status})");

        var cpuBefore = system.CpuSeconds(self: "bench + API");
        var intoPostgres = await PullAsync(null, table, first, first.AddDays(days - 1));
        var cpuDuring = system.CpuSeconds(self: "bench + API").Since(cpuBefore);
        var inPostgres = await PostgresCountAsync(table);
        var intoMySql = await PullAsync("mariadb", table, first, first.AddDays(days - 1));
        var inMySql = await MySqlCountAsync(table);
        var copy = await CopyIntoPostgresAsync($"{table}_copy");
        var insert = await InsertIntoMySqlAsync($"{table}_insert");

        Console.WriteLine();
        Console.WriteLine($"| into | rows stored | wall s | records/s | limit: the same rows by one client | limit records/s | rest / limit | status |");
        Console.WriteLine("|---|---:|---:|---:|---|---:|---:|---|");
        Console.WriteLine(Row("PostgreSQL (platform store)", inPostgres, intoPostgres, "binary COPY", copy));
        Console.WriteLine(Row("MariaDB (target `mariadb`)", inMySql, intoMySql, "INSERT of 1,000 rows per statement, one transaction", insert));
        Console.WriteLine();
        Console.WriteLine($"{days} window children, {Math.Ceiling(reports.Count / (double)days / pageSize) + 1:N0} page requests each (the last one short or empty); "
                          + $"{api.Listings.Count:N0} listing requests in all");
        Console.WriteLine("CPU seconds during the PostgreSQL pull: " + string.Join(", ",
            cpuDuring.Select(c => $"{c.Key} {c.Value:F1}")));
        Console.WriteLine();
        Console.WriteLine("peak RSS (VmHWM) over the whole run:");
        foreach (var service in system.Services)
            Console.WriteLine($"  {service.Name,-13} {service.PeakRssBytes() / (1024.0 * 1024.0):F0} MB");

        await CleanUpAsync();
        return inPostgres == reports.Count && inMySql == reports.Count && intoPostgres.Status == "Completed" && intoMySql.Status == "Completed" ? 0 : 1;

        string Row(string into, long stored, (double Seconds, string Status) run, string limit, double limitSeconds) =>
            $"| {into} | {stored:N0} | {run.Seconds:F2} | {stored / run.Seconds:N0} | {limit} ({limitSeconds:F2} s) | {reports.Count / limitSeconds:N0} | "
            + $"{limitSeconds / run.Seconds:P0} | {run.Status} |";

        async Task<(double Seconds, string Status)> PullAsync(string? target, string into, DateOnly from, DateOnly to)
        {
            var watch = Stopwatch.StartNew();
            var response = await client.PostAsJsonAsync("jobs", new
            {
                platform = "rest",
                settings = new
                {
                    url = new Uri(api.BaseUri, "v1/reports").ToString(),
                    query = new Dictionary<string, string> { ["from"] = "{start_date}", ["to"] = "{end_date}", ["page"] = "{page}", ["per_page"] = "{limit}" },
                    start_date = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    end_date = to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    window_days = 1,
                    auth = new { type = "basic", username = FakeReportApi.User, password = FakeReportApi.Password },
                    pagination = new { type = "page_number", page_size = pageSize },
                    records_path = "data.items",
                    fields = new object[]
                    {
                        new { name = "id", type = "integer" }, new { name = "day", type = "date" }, new { name = "name", path = "attributes.name" },
                        new { name = "amount", type = "number" }, new { name = "updated_at", type = "timestamp" },
                        new { name = "tags", path = "attributes.tags", type = "json" },
                    },
                    primary_key = new[] { "id" },
                    table = into,
                    storage = target is null ? null : new { target },
                    max_pages = 100_000,
                },
            });
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /jobs: {(int)response.StatusCode} {body}");
            var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
            while (true)
            {
                var job = await client.GetFromJsonAsync<JsonElement>($"jobs/{id}/status?wait=30");
                var status = job.GetProperty("status").GetString()!;
                if (status is "Completed" or "CompletedWithFailures" or "Failed" or "Cancelled")
                {
                    var seconds = watch.Elapsed.TotalSeconds;
                    if (status != "Completed") Console.WriteLine($"job {id}: {status}: {await client.GetStringAsync($"jobs/{id}")}");
                    return (seconds, status);
                }

                if (watch.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"the pull did not finish:\n{system.Diagnostics()}");
            }
        }

        async Task<long> PostgresCountAsync(string name)
        {
            await using var connection = new NpgsqlConnection(system.AuditDatabase);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{name}\"", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        async Task<long> MySqlCountAsync(string name)
        {
            await using var connection = new MySqlConnection(mysql);
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"SELECT COUNT(*) FROM `{name}`", connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        // The limit in PostgreSQL: the rows, already typed, through one binary COPY into a table of the same shape.
        async Task<double> CopyIntoPostgresAsync(string name)
        {
            await using var connection = new NpgsqlConnection(system.AuditDatabase);
            await connection.OpenAsync();
            await using (var create = new NpgsqlCommand(
                             $"CREATE TABLE \"{name}\" (id bigint PRIMARY KEY, day date, name text, amount double precision, updated_at timestamptz, tags jsonb)", connection))
                await create.ExecuteNonQueryAsync();
            var watch = Stopwatch.StartNew();
            await using (var import = await connection.BeginBinaryImportAsync($"COPY \"{name}\" (id, day, name, amount, updated_at, tags) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in reports)
                {
                    await import.StartRowAsync();
                    await import.WriteAsync(r.Id, NpgsqlDbType.Bigint);
                    await import.WriteAsync(r.Day, NpgsqlDbType.Date);
                    await import.WriteAsync(r.Name, NpgsqlDbType.Text);
                    await import.WriteAsync((double)r.Amount, NpgsqlDbType.Double);
                    await import.WriteAsync(r.UpdatedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(Tags(r), NpgsqlDbType.Jsonb);
                }

                await import.CompleteAsync();
            }

            return watch.Elapsed.TotalSeconds;
        }

        // The limit in MariaDB: the same rows as multi-row INSERTs of 1,000 in one transaction into a table of the same shape.
        async Task<double> InsertIntoMySqlAsync(string name)
        {
            await using var connection = new MySqlConnection(mysql);
            await connection.OpenAsync();
            await using (var create = new MySqlCommand(
                             $"CREATE TABLE `{name}` (id BIGINT PRIMARY KEY, `day` DATE, name LONGTEXT, amount DOUBLE, updated_at DATETIME(6), tags JSON)", connection))
                await create.ExecuteNonQueryAsync();
            var watch = Stopwatch.StartNew();
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (var chunk in reports.Chunk(1000))
            {
                await using var insert = new MySqlCommand { Connection = connection, Transaction = transaction };
                var sql = new StringBuilder($"INSERT INTO `{name}` (id, `day`, name, amount, updated_at, tags) VALUES ");
                for (var i = 0; i < chunk.Length; i++)
                {
                    sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, @d{i}, @n{i}, @a{i}, @u{i}, @t{i})");
                    insert.Parameters.AddWithValue($"@i{i}", chunk[i].Id);
                    insert.Parameters.AddWithValue($"@d{i}", chunk[i].Day);
                    insert.Parameters.AddWithValue($"@n{i}", chunk[i].Name);
                    insert.Parameters.AddWithValue($"@a{i}", (double)chunk[i].Amount);
                    insert.Parameters.AddWithValue($"@u{i}", chunk[i].UpdatedAt.UtcDateTime);
                    insert.Parameters.AddWithValue($"@t{i}", Tags(chunk[i]));
                }

                insert.CommandText = sql.ToString();
                await insert.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
            return watch.Elapsed.TotalSeconds;
        }

        static string Tags(Report r) => $"[\"daily\",\"d{r.Day.Day}\"]";

        async Task CleanUpAsync()
        {
            await using (var connection = new NpgsqlConnection(system.AuditDatabase))
            {
                await connection.OpenAsync();
                foreach (var name in new[] { table, $"{table}_warm", $"{table}_copy" })
                {
                    await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS \"{name}\"", connection);
                    await drop.ExecuteNonQueryAsync();
                }
            }

            await using (var connection = new MySqlConnection(mysql))
            {
                await connection.OpenAsync();
                foreach (var name in new[] { table, $"{table}_insert" })
                {
                    await using var drop = new MySqlCommand($"DROP TABLE IF EXISTS `{name}`", connection);
                    await drop.ExecuteNonQueryAsync();
                }
            }

            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
                Jobs.ServiceDefaults.Connections.RedisOptions(await Infrastructure.RedisAsync()));
            await RedisKeys.DeleteByPrefixAsync(redis, prefix);
        }
    }
}
