using System.Net.Http.Json;
using System.Text.Json;
using Jobs.ServiceDefaults;
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

    private readonly Dictionary<string, ServiceProcess> _services = new();

    public Uri VirtualHost { get; private set; } = null!;

    public string AuditDatabase { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public ServiceProcess this[string name] => _services[name];

    public async Task InitializeAsync()
    {
        VirtualHost = await Infrastructure.CreateVirtualHostAsync("e2e");
        AuditDatabase = await Infrastructure.CreateDatabaseAsync("e2e_audit");
        var environment = new Dictionary<string, string>
        {
            [Connections.RabbitMqKey] = VirtualHost.ToString(),
            [Connections.RedisKey] = await Infrastructure.RedisAsync(),
            [Connections.PostgresKey] = AuditDatabase,
            // One schedule firing every second proves the Scheduler path; the shipped heartbeat is turned off.
            ["Schedules__0__Name"] = EverySecondSchedule,
            ["Schedules__0__Cron"] = "* * * * * ?",
            ["Schedules__0__TimeZone"] = "Europe/Berlin",
            ["Schedules__0__Platform"] = "synthetic",
            ["Schedules__0__Enabled"] = "true",
            ["Schedules__0__Settings__children"] = "2",
        };

        var configuration = typeof(SystemFixture).Assembly.Location.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}")
            ? "Release"
            : "Debug";
        var root = RepositoryRoot();
        foreach (var name in new[] { "Integrations", "Integrator", "Auditor", "Scheduler", "Reporting" })
        {
            var dll = Path.Combine(root, "services", name, "bin", configuration, "net10.0", $"{name}.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"Build the solution first: {dll} is missing");
            _services[name] = new ServiceProcess(name, dll, environment);
        }

        await Task.WhenAll(_services.Values.Select(s => s.StartAsync()));
        Api = new HttpClient { BaseAddress = _services["Reporting"].BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        await Task.WhenAll(_services.Values.Select(s => s.DisposeAsync().AsTask()));
        await Infrastructure.DeleteVirtualHostAsync(VirtualHost);
        await Infrastructure.DropDatabaseAsync(AuditDatabase);
    }

    public async Task<Guid> SubmitAsync(object settings)
    {
        var response = await Api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    public async Task<JsonElement> GetJobAsync(Guid id)
    {
        var response = await Api.GetAsync($"jobs/{id}");
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone()
            : JsonDocument.Parse("""{"status":"unknown"}""").RootElement.Clone();
    }

    public async Task<JsonElement> WaitForEndAsync(Guid id, TimeSpan timeout) =>
        await Eventually.Until(() => GetJobAsync(id),
            job => job.GetProperty("status").GetString() is "Completed" or "Failed" or "Cancelled",
            timeout, $"job {id} to end ({Diagnostics()})");

    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(AuditDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Diagnostics() =>
        string.Join("\n", _services.Values.Select(s => $"--- {s.Name} (running: {s.IsRunning})\n{s.Tail(15)}"));

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Microservices.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Microservices.sln not found above the test output");
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SystemFixture>
{
    public const string Name = "system";
}
