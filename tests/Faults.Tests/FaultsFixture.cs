using Jobs.JobTree;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.TestSupport;
using Npgsql;

namespace Jobs.Faults.Tests;

/// <summary>
/// The five services as processes on their own virtual host and audit database, left running while the tests take the
/// servers under them down and up again. Nothing here restarts a service.
/// </summary>
public sealed class FaultsFixture : FaultSystem
{
    protected override Task<ServiceSystem> StartAsync() => ServiceSystem.StartAsync("faults", new Dictionary<string, string>
    {
        // The shipped heartbeat schedule stays out of the counts; the schedule test makes its own.
        ["Schedules__0__Enabled"] = "false",
    });
}

/// <summary>A system of the five services under fault tests: submitting jobs, reading them and the broker's consumer counts.</summary>
public abstract class FaultSystem : IAsyncLifetime
{
    private ServiceSystem _system = null!;

    protected abstract Task<ServiceSystem> StartAsync();

    /// <summary>A client of the management API to read queues through (the broker's, unless a node may be down).</summary>
    public virtual Task<HttpClient> ManagementAsync() => Task.FromResult(Infrastructure.Management(VirtualHost));

    public Uri VirtualHost => _system.VirtualHost;

    public string AuditDatabase => _system.AuditDatabase;

    public HttpClient Api { get; private set; } = null!;

    public IEnumerable<ServiceProcess> Services => _system.Services;

    public ServiceProcess this[string name] => _system[name];

    /// <summary>From now on <see cref="Api"/> talks to <paramref name="reporting"/> (another Reporting instance, when one was killed).</summary>
    public void UseApiOf(string reporting)
    {
        Api.Dispose();
        Api = _system.ApiClient(reporting);
    }

    /// <summary>A client of one Reporting instance (the caller disposes it).</summary>
    public HttpClient ApiOf(string reporting) => _system.ApiClient(reporting);

    public async Task InitializeAsync()
    {
        _system = await StartAsync();
        Api = _system.ApiClient();
    }

    public virtual async Task DisposeAsync()
    {
        Api?.Dispose();
        await _system.DisposeAsync();
    }

    public async Task<Guid> SubmitAsync(object settings, string platform = "synthetic")
    {
        var response = await Api.PostAsJsonAsync("jobs", new { platform, settings });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>The job's status and counts; <c>unknown</c> while the API cannot answer (a server it reads is down).</summary>
    public async Task<JsonElement> StatusAsync(Guid id, int waitSeconds = 0)
    {
        try
        {
            var response = await Api.GetAsync($"jobs/{id}/status{(waitSeconds > 0 ? $"?wait={waitSeconds}" : "")}");
            if (response.IsSuccessStatusCode) return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
        }

        return JsonDocument.Parse("""{"status":"unknown"}""").RootElement.Clone();
    }

    public async Task<JsonElement> WaitForEndAsync(Guid id, TimeSpan timeout)
    {
        var job = await Eventually.Until(() => StatusAsync(id, 5), j => j.GetProperty("status").GetString() is "Completed" or "Failed" or "Cancelled",
            timeout, $"job {id} to end ({Diagnostics()})");
        return job;
    }

    /// <summary>A scalar from the audit database; null while PostgreSQL does not answer.</summary>
    public async Task<long?> ScalarAsync(string sql, params object[] parameters)
    {
        try
        {
            await using var connection = new NpgsqlConnection(AuditDatabase);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
            return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (NpgsqlException)
        {
            NpgsqlConnection.ClearAllPools();
            return null;
        }
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(AuditDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>Consumers per durable queue of the virtual host, from the management API (not the services' own health).</summary>
    public async Task<Dictionary<string, int>> ConsumersAsync()
    {
        try
        {
            using var management = await ManagementAsync();
            var queues = await management.GetFromJsonAsync<JsonElement>(
                $"api/queues/{VirtualHost.AbsolutePath.TrimStart('/')}?columns=name,consumers,durable,auto_delete");
            return queues.EnumerateArray()
                .Where(q => q.GetProperty("durable").GetBoolean() && !q.GetProperty("auto_delete").GetBoolean())
                .ToDictionary(q => q.GetProperty("name").GetString()!, q => q.TryGetProperty("consumers", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return [];
        }
    }

    /// <summary>
    /// <see cref="ConsumersAsync"/> once the broker's statistics show a consumer on the queues every system has (they lag a few
    /// seconds behind, and are empty right after a start).
    /// </summary>
    public Task<Dictionary<string, int>> BaselineConsumersAsync() =>
        Eventually.Until(ConsumersAsync, queues => new[] { IntegrationQueues.StartJobs, IntegrationQueues.QueueName("synthetic"), IntegrationQueues.SchedulerCommands }
            .All(q => queues.GetValueOrDefault(q) > 0), TimeSpan.FromSeconds(60), "consumers on jobs.start, integration-synthetic and scheduler-commands");

    public string Diagnostics() => _system.Diagnostics();

    /// <summary>What a fault did to a 10,000-child job: when it struck, how many were counted before, when the job ended.</summary>
    public sealed record Survived(Guid Id, TimeSpan FaultAt, long CountedBefore, TimeSpan EndedAt, System.Diagnostics.Stopwatch Clock);

    /// <summary>
    /// Submits a 10,000-child synthetic job (<paramref name="workMs"/> per child), strikes with <paramref name="fault"/> once 1,000
    /// are counted, and checks the job ends Completed with exactly 10,000 counted and 10,000 children audited, each once.
    /// </summary>
    public async Task<Survived> TenThousandSurviveAsync(int workMs, Func<Task> fault)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var id = await SubmitAsync(new { children = 10_000, work_ms = workMs });
        var progress = await Eventually.Until(() => StatusAsync(id), j => OutageTests.Completed(j) >= 1000, TimeSpan.FromMinutes(5), "the first 1,000 children");
        Assert.True(OutageTests.Completed(progress) < 10_000, "the job finished before the fault");
        await fault();
        var faultAt = clock.Elapsed;

        var job = await WaitForEndAsync(id, TimeSpan.FromMinutes(8));
        var ended = clock.Elapsed;
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((10_000L, 10_000L, 0L), OutageTests.Counts(job));
        // One audit row per child (several Auditors do not double-write) and one root, as it ended.
        var audited = await Eventually.Until(async () => (
                Rows: await ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1", id),
                Completed: await ScalarAsync("SELECT count(*) FROM child_jobs WHERE root_job_id = $1 AND generation >= 1 AND status = 'Completed'", id),
                Roots: await ScalarAsync("SELECT count(*) FROM root_jobs WHERE root_job_id = $1 AND status = 'Completed' AND completed = 10000", id)),
            a => a.Completed >= 10_000 && a.Roots == 1, TimeSpan.FromSeconds(60), "the audit trail of the job");
        Assert.Equal((10_000L, 10_000L, 1L), (audited.Rows ?? 0, audited.Completed ?? 0, audited.Roots ?? 0));
        return new Survived(id, faultAt, OutageTests.Completed(progress), ended, clock);
    }

    /// <summary>A small job after a fault: it completes, every child counted.</summary>
    public async Task NextJobCompletesAsync(int children = 50)
    {
        var next = await SubmitAsync(new { children });
        var job = await WaitForEndAsync(next, TimeSpan.FromSeconds(90));
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal((children, children, 0L), OutageTests.Counts(job));
    }

    /// <summary>The settings of a system under a fault test: the shipped schedule off, and quorum queues when <c>RABBITMQ_URL</c> names a cluster.</summary>
    protected static Dictionary<string, string> FaultSettings()
    {
        var settings = new Dictionary<string, string> { ["Schedules__0__Enabled"] = "false" };
        if (Jobs.ServiceDefaults.Connections.RabbitMq(Environment.GetEnvironmentVariable("RABBITMQ_URL") ?? "amqp://localhost/").Nodes.Count > 1)
            settings["RabbitMq__QueueType"] = "Quorum";
        return settings;
    }
}

[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<FaultsFixture>
{
    public const string Name = "faults";
}
