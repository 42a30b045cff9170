using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;
using Npgsql;

namespace Jobs.EndToEnd.Tests;

/// <summary>
/// The five services as processes, on their own RabbitMQ virtual host and audit database, sharing the
/// real Redis. One instance serves the whole end-to-end collection.
/// </summary>
public sealed class SystemFixture : IAsyncLifetime
{
    public const string EverySecondSchedule = "e2e-every-second";

    private ServiceSystem _system = null!;

    /// <summary>
    /// The OTLP receiver every service but the Auditor exports its spans to. The Auditor runs without
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (but with the traces endpoint of the receiver, which alone must not switch exporting on).
    /// </summary>
    public OtlpReceiver Traces { get; private set; } = null!;

    public Uri VirtualHost => _system.VirtualHost;

    public string AuditDatabase => _system.AuditDatabase;

    public HttpClient Api { get; private set; } = null!;

    public ServiceProcess this[string name] => _system[name];

    public IEnumerable<ServiceProcess> Services => _system.Services;

    /// <summary>A directory the Integrations process may read file:// sources from and keep caches in (Movies:AllowedDirectories).</summary>
    public string FilesDirectory { get; } = Directory.CreateTempSubdirectory("e2e-files-").FullName;

    public async Task InitializeAsync()
    {
        Traces = await OtlpReceiver.StartAsync();
        // One schedule firing every second proves the Scheduler path; the shipped heartbeat is replaced.
        _system = await ServiceSystem.StartAsync("e2e", new Dictionary<string, string>(Traces.Environment())
        {
            ["Schedules__0__Name"] = EverySecondSchedule,
            ["Schedules__0__Cron"] = "* * * * * ?",
            ["Schedules__0__TimeZone"] = "Europe/Berlin",
            ["Schedules__0__Platform"] = "synthetic",
            ["Schedules__0__Enabled"] = "true",
            ["Schedules__0__Settings__children"] = "2",
            // Children with no progress for 40 s are timed out (the stuck-job test), swept every second: long enough that a
            // killed Integrations process restarting while other test projects load the machine is not mistaken for a stuck one.
            ["Auditor__ChildTimeout"] = "00:00:40",
            ["Auditor__SweepInterval"] = "00:00:01",
            ["Movies__AllowedDirectories__0"] = FilesDirectory,
            // Webhook hooks reach the tests' loopback receiver, with short retries (HookTests).
            ["Integrations__Http__Integrations__webhook__Outbound__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Integrations__Http__Integrations__webhook__MaxAttempts"] = "3",
            ["Integrations__Http__Integrations__webhook__BackoffBase"] = "00:00:00.100",
            ["Integrations__Http__Integrations__webhook__Timeout"] = "00:00:05",
            // The statement the sql hook test names (its table is created by the test).
            ["Hooks__Sql__Statements__e2e_mark__Sql"] = HookTests.MarkStatement,
        }, perService: new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["Auditor"] = new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
                ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = new Uri(Traces.Endpoint, "v1/traces").ToString(),
            },
        });
        Api = _system.ApiClient();
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        await _system.DisposeAsync();
        await Traces.DisposeAsync();
        Directory.Delete(FilesDirectory, recursive: true);
    }

    public async Task<Guid> SubmitAsync(object settings)
    {
        var response = await Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>
    /// Publishes <paramref name="payload"/> as plain JSON to the <c>jobs.start</c> exchange through the RabbitMQ management HTTP API,
    /// exactly as the README's curl does (a client that is not .NET); true when the broker routed it.
    /// </summary>
    public async Task<bool> PublishStartAsync(string payload, string? messageId = null)
    {
        using var management = Infrastructure.Management(VirtualHost);
        var properties = new Dictionary<string, object> { ["content_type"] = "application/json", ["delivery_mode"] = 2 };
        if (messageId is not null) properties["message_id"] = messageId;
        var response = await management.PostAsJsonAsync($"api/exchanges/{VirtualHost.AbsolutePath.TrimStart('/')}/jobs.start/publish",
            new { properties, routing_key = "", payload, payload_encoding = "string" });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("routed").GetBoolean();
    }

    public async Task<JsonElement> GetJobAsync(Guid id)
    {
        var response = await Api.GetAsync($"jobs/{id}");
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone()
            : JsonDocument.Parse("""{"status":"unknown"}""").RootElement.Clone();
    }

    /// <summary>Waits on <c>GET /jobs/{id}/status?wait=</c> (answered when the Integrator announces the end), then reads the whole job.</summary>
    public async Task<JsonElement> WaitForEndAsync(Guid id, TimeSpan timeout)
    {
        await Eventually.Until(async () =>
            {
                var response = await Api.GetAsync($"jobs/{id}/status?wait=5");
                return response.IsSuccessStatusCode
                    ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone()
                    : JsonDocument.Parse("""{"status":"unknown"}""").RootElement.Clone();
            },
            job => JobEnded(job), timeout, $"job {id} to end ({Diagnostics()})");
        var ended = await GetJobAsync(id);
        Assert.True(JobEnded(ended), ended.ToString());
        return ended;
    }

    private static bool JobEnded(JsonElement job) => Jobs.Contracts.JobStatus.HasEnded(job.GetProperty("status").GetString());

    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(AuditDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every audit row of a job as text (its events, its root, its children): what a secret must never be in.</summary>
    public async Task<string> AuditRowsAsync(Guid id)
    {
        var audit = new System.Text.StringBuilder();
        await using var connection = new NpgsqlConnection(AuditDatabase);
        await connection.OpenAsync();
        foreach (var sql in new[]
                 {
                     "SELECT payload::text FROM job_events WHERE root_job_id = $1",
                     "SELECT row_to_json(r)::text FROM root_jobs r WHERE root_job_id = $1",
                     "SELECT row_to_json(c)::text FROM child_jobs c WHERE root_job_id = $1",
                 })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) audit.AppendLine(reader.GetString(0));
        }

        return audit.ToString();
    }

    public string Diagnostics() => _system.Diagnostics();
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
