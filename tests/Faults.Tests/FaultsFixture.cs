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

    public async Task InitializeAsync()
    {
        _system = await StartAsync();
        Api = _system.ApiClient();
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        await _system.DisposeAsync();
    }

    public async Task<Guid> SubmitAsync(object settings)
    {
        var response = await Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings });
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
}

[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<FaultsFixture>
{
    public const string Name = "faults";
}
