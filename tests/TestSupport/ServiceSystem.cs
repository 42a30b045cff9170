using Jobs.ServiceDefaults;

namespace Jobs.TestSupport;

/// <summary>
/// The five services started from their build output as processes, on a RabbitMQ virtual host and an audit
/// database of their own (created here, removed on dispose), on the real Redis in a database numbered for this checkout
/// (<see cref="RedisDatabase"/>): a system built from another checkout, running at the same time, publishes its own platform
/// catalog (the settings schemas jobs are validated against) without overwriting this one's.
/// </summary>
public sealed class ServiceSystem : IAsyncDisposable
{
    public static readonly string[] Names = ["Integrations", "Integrator", "Auditor", "Scheduler", "Reporting"];

    private readonly Dictionary<string, ServiceProcess> _services = new();

    private ServiceSystem(Uri virtualHost, string auditDatabase)
    {
        VirtualHost = virtualHost;
        AuditDatabase = auditDatabase;
    }

    public Uri VirtualHost { get; }

    public string AuditDatabase { get; }

    /// <summary>The administrator API key (role internal) Reporting was started with.</summary>
    public string AdminKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    /// <summary>A client of the Reporting API (of <paramref name="reporting"/>, one of the Reporting instances) that sends the administrator key.</summary>
    public HttpClient ApiClient(string reporting = "Reporting")
    {
        var client = new HttpClient { BaseAddress = this[reporting].BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    public ServiceProcess this[string name] => _services[name];

    public IEnumerable<ServiceProcess> Services => _services.Values;

    /// <param name="name">Prefix of the virtual host and database.</param>
    /// <param name="settings">Extra configuration (environment variables) for every service.</param>
    /// <param name="configuration">The build configuration of the services (that of the tests unless told).</param>
    /// <param name="instances">Processes of each service, side by side on their own ports: the first is named after its service
    /// ("Integrator"), the others get their number ("Integrator-2").</param>
    /// <param name="instancesOf">Processes of the services it names, instead of <paramref name="instances"/>.</param>
    /// <param name="perService">Configuration for one service only (every process of it), by its name (added to
    /// <paramref name="settings"/>, winning over it).</param>
    public static async Task<ServiceSystem> StartAsync(string name, IReadOnlyDictionary<string, string> settings, string? configuration = null,
        int instances = 1, IReadOnlyDictionary<string, int>? instancesOf = null,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? perService = null)
    {
        var system = new ServiceSystem(await Infrastructure.CreateVirtualHostAsync(name), await Infrastructure.CreateDatabaseAsync($"{name}_audit"));
        var environment = new Dictionary<string, string>(settings)
        {
            [Connections.RabbitMqKey] = await Infrastructure.ServicesRabbitMqUrlAsync(system.VirtualHost),
            // The Redis of the settings when they name one (a Redis that fails over, say), in this checkout's database either way.
            [Connections.RedisKey] = await WithDatabaseAsync(settings.GetValueOrDefault(Connections.RedisKey) ?? await Infrastructure.RedisAsync(), RedisDatabase),
            [Connections.PostgresKey] = system.AuditDatabase,
            ["Security__AdminKey"] = system.AdminKey,
        };
        foreach (var service in Names)
        {
            var own = new Dictionary<string, string>(environment);
            foreach (var (key, value) in perService?.GetValueOrDefault(service) ?? new Dictionary<string, string>()) own[key] = value;
            foreach (var instance in Enumerable.Range(1, instancesOf?.GetValueOrDefault(service, instances) ?? instances))
            {
                var instanceName = instance == 1 ? service : $"{service}-{instance}";
                system._services[instanceName] = new ServiceProcess(instanceName, DllOf(service, configuration), own);
            }
        }

        try
        {
            await Task.WhenAll(system._services.Values.Select(s => s.StartAsync()));
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }

        return system;
    }

    /// <summary>The Redis database (1-15) the services of this checkout use: stable for a checkout, different between most.</summary>
    public static int RedisDatabase { get; } =
        1 + (int)(BitConverter.ToUInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(RepositoryRoot()))) % 15);

    /// <summary>
    /// The Redis with this checkout's database, except a Redis Cluster (the Redis Cluster test run, infra/redis-cluster.sh), which has
    /// database 0 alone and is this run's own anyway.
    /// </summary>
    private static async Task<string> WithDatabaseAsync(string redis, int database)
    {
        if (await Infrastructure.IsRedisClusterAsync(redis)) return redis;
        return redis.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            ? new UriBuilder(redis) { Path = $"/{database}" }.Uri.ToString()
            : $"{redis},defaultDatabase={database}";
    }

    /// <summary>
    /// User + system CPU seconds used so far by each running service and by the machine's RabbitMQ, Redis and PostgreSQL (every
    /// process of that name: all of PostgreSQL's backends, Redis's rewrite children), from /proc; <see cref="CpuSnapshot.Since"/> gives
    /// what each used in between. Given <paramref name="self"/>, the calling process too, under that name (a benchmark and what it serves).
    /// </summary>
    public CpuSnapshot CpuSeconds(string? self = null)
    {
        var processes = _services.Values.Where(s => s.ProcessId is not null)
            .Select(s => (s.Name, Pid: s.ProcessId!.Value, Seconds: s.CpuSeconds() ?? 0)).ToList();
        foreach (var (name, command) in new[] { ("RabbitMQ", "beam.smp"), ("Redis", "redis-server"), ("PostgreSQL", "postgres") })
            processes.AddRange(ServiceProcess.CpuSecondsOfCommand(command).Select(p => (name, p.Pid, p.Seconds)));
        if (self is not null) processes.Add((self, Environment.ProcessId, ServiceProcess.CpuSecondsOf(Environment.ProcessId)));
        return new CpuSnapshot(processes);
    }

    public string Diagnostics() =>
        string.Join("\n", _services.Values.Select(s => $"--- {s.Name} (running: {s.IsRunning})\n{s.Tail(15)}"));

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_services.Values.Select(s => s.DisposeAsync().AsTask()));
        await Infrastructure.DeleteVirtualHostAsync(VirtualHost);
        await Infrastructure.DropDatabaseAsync(AuditDatabase);
    }

    /// <summary>A service's built assembly, of the configuration the caller was built in unless told.</summary>
    public static string DllOf(string service, string? configuration = null)
    {
        configuration ??= typeof(ServiceSystem).Assembly.Location.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}")
            ? "Release"
            : "Debug";
        var dll = Path.Combine(RepositoryRoot(), "services", service, "bin", configuration, "net10.0", $"{service}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the solution ({configuration}) first: {dll} is missing");
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Microservices.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Microservices.sln not found above the program's directory");
    }
}

/// <summary>CPU seconds used so far by named processes (a service, or one of a server's processes), each known by its pid.</summary>
public sealed class CpuSnapshot(IReadOnlyList<(string Name, int Pid, double Seconds)> processes)
{
    /// <summary>
    /// CPU seconds per name since <paramref name="before"/>, in the order the names first appear: a process running now counts what it
    /// used since then (all it used, if it started since, such as a new PostgreSQL backend); one that exited in between is left out,
    /// what it used gone with it (a Redis rewrite child), so no figure is ever negative.
    /// </summary>
    public Dictionary<string, double> Since(CpuSnapshot before)
    {
        var earlier = before.Processes.ToDictionary(p => (p.Name, p.Pid), p => p.Seconds);
        var since = new Dictionary<string, double>();
        foreach (var (name, pid, seconds) in Processes)
            since[name] = since.GetValueOrDefault(name) + Math.Max(0, seconds - earlier.GetValueOrDefault((name, pid)));
        return since;
    }

    public IReadOnlyList<(string Name, int Pid, double Seconds)> Processes { get; } = processes;
}
