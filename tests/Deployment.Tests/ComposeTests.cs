using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Jobs.ServiceDefaults;
using Npgsql;

namespace Jobs.Deployment.Tests;

/// <summary>
/// docker-compose.yml, read as docker compose reads it with a filled-in .env (<see cref="Compose.Example"/>), against the
/// Dockerfile, the services' configuration, infra/rabbitmq, Prometheus and Grafana: no Docker engine needed.
/// </summary>
public sealed partial class ComposeTests
{
    /// <summary>Seq's container serves the API (which /system/alive asks) and ingestion on port 80; 5341 only ingests.</summary>
    private const int SeqApiPort = 80;

    /// <summary>
    /// The appsettings.json keys empty on purpose under compose, with what empty means: the cluster's list but the ones
    /// compose sets (it runs Seq, keeps the movies cache in a volume), and the one the cluster sets per Deployment.
    /// </summary>
    private static readonly Dictionary<string, string> OptionalWhenEmpty = SettingsTests.OptionalWhenEmpty
        .Where(p => p.Key is not ("Seq:ServerUrl" or "Movies:CacheDirectory"))
        .Append(KeyValuePair.Create("Integrations:Enabled", "one Integrations container hosts every platform"))
        .ToDictionary();

    private static readonly Lazy<JsonObject> Resolved = new(() => Compose.Resolved(Compose.Example()));

    private static JsonObject File => Resolved.Value;

    [GeneratedRegex(@"^v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$")]
    private static partial Regex PinnedTag();

    [Fact]
    public void The_five_services_are_built_each_from_its_own_project()
    {
        Assert.Equal(["Auditor", "Integrations", "Integrator", "Reporting", "Scheduler"], Compose.Built(File).Select(s => s.Service).Order());
        var dockerfile = System.IO.File.ReadAllText(Path.Combine(Manifests.Root, Services.Dockerfile));
        Assert.Contains("dotnet publish \"services/${SERVICE}/${SERVICE}.csproj\"", dockerfile, StringComparison.Ordinal);
        foreach (var (name, service, definition) in Compose.Built(File))
        {
            Assert.Equal(service.ToLowerInvariant(), name);
            Assert.Equal(Services.Dockerfile, definition["build"]!["dockerfile"].Str());
            Assert.True(System.IO.File.Exists(Path.Combine(Manifests.Root, "services", service, $"{service}.csproj")), $"{name}: no project services/{service}/{service}.csproj");
            var target = definition["build"]!["target"].Str();
            Assert.True(Stage(dockerfile, target) is { } stage && stage.Contains("COPY --from=build /app", StringComparison.Ordinal),
                $"{name}: the Dockerfile's target {target} does not hold the published project");
            Assert.Equal($"jobs/{name}:dev", definition["image"].Str());
        }
    }

    /// <summary>The lines of a Dockerfile's stage <c>FROM ... AS <paramref name="name"/></c>, up to the next FROM; null when there is none.</summary>
    private static string? Stage(string dockerfile, string name)
    {
        var match = Regex.Match(dockerfile, $@"^FROM\s+\S+\s+AS\s+{Regex.Escape(name)}\s*$(?<body>(?:(?!^FROM\s).*\n?)*)", RegexOptions.Multiline);
        return match.Success ? match.Groups["body"].Value : null;
    }

    [Fact]
    public void Every_setting_a_service_reads_at_start_is_set()
    {
        var missing = new List<string>();
        foreach (var (name, service, definition) in Compose.Built(File))
        {
            var env = Compose.Environment(definition);
            foreach (var (key, list) in Services.Reads(service, OptionalWhenEmpty.Keys.ToHashSet()))
            {
                var variable = Services.EnvironmentName(key);
                var set = list
                    ? env.Keys.Any(k => k.StartsWith(variable + "__", StringComparison.Ordinal))
                    : env.TryGetValue(variable, out var value) && value.Length > 0;
                if (!set) missing.Add($"{name}: {variable}");
            }
        }

        Assert.True(missing.Count == 0, "not set in docker-compose.yml:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void No_setting_names_a_loopback_address()
    {
        foreach (var (name, _, definition) in Compose.Built(File))
        foreach (var (key, value) in Compose.Environment(definition).Where(e => e.Key != "Urls"))
            Assert.False(Services.Loopback().IsMatch(value), $"{name}: {key}={value} is this container, not a service of the compose network");
    }

    [Fact]
    public void The_connection_urls_reach_the_servers_with_their_credentials()
    {
        var rabbit = Compose.Environment(Compose.Service(File, "rabbitmq"));
        var redis = Compose.Environment(Compose.Service(File, "redis"));
        var postgres = Compose.Environment(Compose.Service(File, "postgres"));
        foreach (var (name, _, definition) in Compose.Built(File))
        {
            var env = Compose.Environment(definition);
            var rabbitUrl = env[Connections.RabbitMqKey];
            Assert.Null(Connections.RabbitMqProblem(rabbitUrl));
            var node = Assert.Single(Connections.RabbitMq(rabbitUrl).Nodes);
            Assert.Equal(("rabbitmq", 5672), (node.Host, node.Port));
            Assert.Equal($"{rabbit["RABBITMQ_DEFAULT_USER"]}:{rabbit["RABBITMQ_DEFAULT_PASS"]}", Uri.UnescapeDataString(new Uri(rabbitUrl).UserInfo));

            var redisOptions = Connections.RedisOptions(env[Connections.RedisKey]);
            Assert.Equal("redis:6379", Assert.Single(redisOptions.EndPoints).ToString()?.Replace("Unspecified/", "", StringComparison.Ordinal));
            Assert.Equal(redis["REDISCLI_AUTH"], redisOptions.Password);

            var pg = new NpgsqlConnectionStringBuilder(Connections.PostgresConnectionString(env[Connections.PostgresKey]));
            Assert.Equal(("postgres", 5432, postgres["POSTGRES_DB"], postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]),
                (pg.Host, pg.Port, pg.Database, pg.Username, pg.Password));
            Assert.Equal(new Uri("http://rabbitmq:15672/"), new Uri(env[Connections.RabbitMqManagementKey]));
        }

        Assert.Contains("--requirepass \"$REDISCLI_AUTH\"", string.Join(" ", Compose.Service(File, "redis")["command"]!.AsArray().Select(c => c.Str())), StringComparison.Ordinal);
    }

    [Fact]
    public void Seq_and_OTLP_point_at_the_port_that_serves_the_API_and_ingestion()
    {
        var seq = Compose.Service(File, "seq");
        Assert.Contains(Compose.Ports(seq), p => p.Container == SeqApiPort);
        foreach (var (name, _, definition) in Compose.Built(File))
        {
            var env = Compose.Environment(definition);
            var url = new Uri(env["Seq__ServerUrl"]);
            Assert.Equal(("seq", SeqApiPort), (url.Host, url.Port));
            Assert.Null(new SeqOptions { ServerUrl = env["Seq__ServerUrl"] }.Problems().FirstOrDefault());
            Assert.Equal(new Uri(url, "ingest/otlp"), new Uri(env[TracingOptions.EndpointVariable]));
            Assert.Equal("http/protobuf", env[TracingOptions.ProtocolVariable]); // Seq takes OTLP over gRPC or HTTP/protobuf, not HTTP/JSON
        }
    }

    [Fact]
    public void The_services_listen_on_every_interface_at_the_port_their_checks_and_Prometheus_use()
    {
        var targets = Prometheus()["scrape_configs"]!.AsArray().Single(j => j!["job_name"].Str() == "jobs-services")!["static_configs"]!.AsArray()
            .ToDictionary(c => c!["labels"]!["service"].Str(), c => Assert.Single(c!["targets"]!.AsArray()).Str());
        Assert.Equal(Compose.Built(File).Select(s => s.Name).Order(), targets.Keys.Order());
        foreach (var (name, _, definition) in Compose.Built(File))
        {
            var listen = new Uri(Compose.Environment(definition)["Urls"]);
            Assert.Equal("0.0.0.0", listen.Host);
            Assert.Equal($"{name}:{listen.Port}", targets[name]);
            Assert.Contains(Compose.Ports(definition), p => p.Container == listen.Port);
            var check = definition["healthcheck"]!["test"]!.AsArray().Select(t => t.Str()).Last();
            Assert.Contains(Services.HealthPaths(), path => check == $"http://127.0.0.1:{listen.Port}{path}");
        }
    }

    [Fact]
    public void Prometheus_scrapes_the_brokers_metrics_port_and_loads_its_mounted_rules()
    {
        var rabbitmq = Prometheus()["scrape_configs"]!.AsArray().Single(j => j!["job_name"].Str() == "rabbitmq")!;
        var target = Assert.Single(rabbitmq["static_configs"]![0]!["targets"]!.AsArray()).Str().Split(':');
        Assert.Equal("rabbitmq", target[0]);
        Assert.Contains(Compose.Ports(Compose.Service(File, "rabbitmq")), p => p.Container.ToString(System.Globalization.CultureInfo.InvariantCulture) == target[1]);

        var prometheus = Compose.Service(File, "prometheus");
        var config = prometheus["command"]!.AsArray().Select(c => c.Str()).Single(c => c.StartsWith("--config.file=", StringComparison.Ordinal))["--config.file=".Length..];
        var host = HostPath(prometheus, config);
        Assert.Equal(Path.Combine(Manifests.Root, "infra", "prometheus", "prometheus.yml"), host);
        foreach (var rules in Prometheus()["rule_files"]!.AsArray())
            Assert.True(System.IO.File.Exists(Path.Combine(Path.GetDirectoryName(host)!, rules.Str())), $"rule file {rules} is not in the mounted folder");
    }

    [Fact]
    public void Grafana_provisions_the_mounted_dashboards_from_the_compose_Prometheus()
    {
        var grafana = Compose.Service(File, "grafana");
        var provisioning = HostPath(grafana, "/etc/grafana/provisioning"); // Grafana's default provisioning folder
        var providers = Yaml.Document(System.IO.File.ReadAllText(Path.Combine(provisioning, "dashboards", "dashboards.yml")));
        foreach (var provider in providers["providers"]!.AsArray())
        {
            var folder = HostPath(grafana, provider!["options"]!["path"].Str());
            Assert.NotEmpty(Directory.EnumerateFiles(folder, "*.json"));
        }

        foreach (var source in Directory.EnumerateFiles(Path.Combine(provisioning, "datasources"), "*.yml")
                     .SelectMany(f => Yaml.Document(System.IO.File.ReadAllText(f))["datasources"]!.AsArray()))
        {
            var url = new Uri(source!["url"].Str());
            Assert.Equal("prometheus", url.Host);
            Assert.Contains(Compose.Ports(Compose.Service(File, "prometheus")), p => p.Container == url.Port);
        }
    }

    /// <summary>The file or folder of the repository that <paramref name="service"/> sees at <paramref name="containerPath"/> through a bind mount.</summary>
    private static string HostPath(JsonObject service, string containerPath)
    {
        var (source, target) = Compose.Volumes(service).Where(v => v.Source.StartsWith("./", StringComparison.Ordinal))
            .SingleOrDefault(v => containerPath == v.Target || containerPath.StartsWith(v.Target + "/", StringComparison.Ordinal));
        Assert.True(source is not null, $"nothing of the repository is mounted at {containerPath}");
        var path = Path.GetFullPath(Path.Combine(Manifests.Root, source, containerPath[target.Length..].TrimStart('/')));
        Assert.True(System.IO.File.Exists(path) || Directory.Exists(path), $"{containerPath} is mounted from {source}, which has no {path}");
        return path.TrimEnd(Path.DirectorySeparatorChar);
    }

    private static JsonNode Prometheus() =>
        Yaml.Document(System.IO.File.ReadAllText(Path.Combine(Manifests.Root, "infra", "prometheus", "prometheus.yml")));

    [Fact]
    public void The_movies_directories_are_a_volume_owned_by_the_service_user()
    {
        var integrations = Compose.Service(File, "integrations");
        var volumes = Compose.Volumes(integrations).ToList();
        var declared = File["volumes"]!.AsObject().Select(v => v.Key).ToHashSet();
        var dockerfile = System.IO.File.ReadAllText(Path.Combine(Manifests.Root, Services.Dockerfile));
        var allowed = Services.Leaves(Services.AppSettings("Integrations")).Where(l => l.Key.StartsWith("Movies:AllowedDirectories:", StringComparison.Ordinal))
            .Select(l => l.Value!.ToString()).ToList();
        Assert.NotEmpty(allowed);
        foreach (var directory in allowed)
        {
            Assert.Contains(volumes, v => v.Target == directory && declared.Contains(v.Source));
            Assert.Contains($"mkdir -p {directory} && chown \"$APP_UID\" {directory}", Stage(dockerfile, "runtime"), StringComparison.Ordinal);
        }

        var cache = Compose.Environment(integrations)["Movies__CacheDirectory"];
        Assert.Contains(allowed, a => cache.StartsWith(a + "/", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_port_is_published_on_loopback()
    {
        foreach (var variables in new[] { Compose.Example(), Compose.Example().Where(v => v.Key != "BIND_ADDRESS").ToDictionary() })
        foreach (var (name, definition) in Compose.Services(Compose.Resolved(variables)))
        foreach (var port in Compose.Ports(definition))
            Assert.True(port.Address == "127.0.0.1", $"{name}: port {port.Host} is published on '{port.Address}', not on 127.0.0.1");
    }

    [Fact]
    public void A_server_publishes_on_the_address_BIND_ADDRESS_names()
    {
        var variables = Compose.Example().ToDictionary();
        variables["BIND_ADDRESS"] = "0.0.0.0";
        Assert.All(Compose.Services(Compose.Resolved(variables)).SelectMany(s => Compose.Ports(s.Definition)), p => Assert.Equal("0.0.0.0", p.Address));
    }

    [Fact]
    public void Every_image_pulled_is_pinned_to_a_release()
    {
        foreach (var (name, definition) in Compose.Services(File).Where(s => s.Definition["build"] is null))
        {
            var image = definition["image"].Str();
            var tag = image.Contains(':', StringComparison.Ordinal) ? image[(image.LastIndexOf(':') + 1)..] : "";
            Assert.True(PinnedTag().IsMatch(tag), $"{name}: {image} is not pinned to a major.minor release");
        }
    }

    [Fact]
    public void Every_long_running_service_has_a_health_check_restarts_and_waits_for_its_dependencies_health()
    {
        var services = Compose.Services(File).ToDictionary(s => s.Name, s => s.Definition);
        foreach (var (name, definition) in services)
        {
            var oneShot = definition["profiles"] is not null;
            if (!oneShot)
            {
                Assert.True(definition["healthcheck"]?["test"] is JsonArray { Count: > 1 }, $"{name}: no health check");
                Assert.Equal("unless-stopped", definition["restart"]?.ToString()); // also exit code 75: start me again
            }

            foreach (var (dependency, condition) in Compose.DependsOn(definition))
            {
                Assert.True(services.ContainsKey(dependency), $"{name} waits for {dependency}, which is not a service");
                Assert.True(condition == "service_healthy", $"{name} waits for {dependency} to be {condition ?? "started"}, not healthy");
            }
        }
    }

    [Fact]
    public void Every_server_a_service_names_is_one_it_waits_for()
    {
        var names = Compose.Services(File).Select(s => s.Name).ToHashSet();
        foreach (var (name, definition) in Compose.Services(File))
        {
            var hosts = Compose.Environment(definition).Values
                .SelectMany(v => Regex.Matches(v, @"(?:://(?:[^@/\s]*@)?|Host=)(?<host>[a-z][a-z0-9-]*)").Select(m => m.Groups["host"].Value))
                .Where(names.Contains).Where(h => h != name).ToHashSet();
            var waits = Compose.DependsOn(definition).Keys.ToHashSet();
            Assert.True(hosts.IsSubsetOf(waits), $"{name} names {string.Join(", ", hosts.Except(waits))} but does not wait for it");
        }
    }

    [Fact]
    public void RabbitMQ_runs_with_the_scheduler_settings_of_infra()
    {
        var conf = System.IO.File.ReadAllLines(Path.Combine(Manifests.Root, "infra", "rabbitmq", "rabbitmq-env.conf"))
            .Single(l => l.StartsWith("SERVER_ADDITIONAL_ERL_ARGS=", StringComparison.Ordinal));
        var flags = Regex.Matches(conf, @"\+sbwt\w*\s+\w+").Select(m => m.Value).ToList();
        Assert.NotEmpty(flags);
        var args = Compose.Environment(Compose.Service(File, "rabbitmq"))["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"];
        Assert.All(flags, f => Assert.Contains(f, args, StringComparison.Ordinal));
    }

    [Fact]
    public void Credentials_and_the_administrator_key_are_required_from_env()
    {
        var required = new[] { "ADMIN_API_KEY", "RABBITMQ_PASSWORD", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "GRAFANA_ADMIN_PASSWORD" };
        var references = Compose.References();
        foreach (var variable in required)
        {
            Assert.Contains(references, r => r.Name == variable);
            Assert.All(references.Where(r => r.Name == variable), r => Assert.Equal(":?", r.Operator));
            Assert.Equal("", Compose.ExampleFile()[variable]); // .env.example holds no usable secret
            var without = Compose.Example().Where(v => v.Key != variable).ToDictionary();
            Assert.Equal(variable, Assert.Throws<MissingVariableException>(() => Compose.Resolved(without)).Name);
        }

        Assert.All(references, r => Assert.True(Compose.ExampleFile().ContainsKey(r.Name), $"{r.Name} is not documented in {Compose.EnvExample}"));
        var text = Compose.Text();
        Assert.DoesNotContain("guest", text, StringComparison.Ordinal);
        Assert.DoesNotContain("change-this", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=jobs", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_Reporting_and_the_demo_get_the_administrator_key()
    {
        foreach (var (name, definition) in Compose.Services(File))
        {
            var env = Compose.Environment(definition);
            Assert.Equal(name == "reporting", env.ContainsKey(SettingsTests.AdminKey));
            if (env.ContainsKey(SettingsTests.AdminKey)) Assert.Equal(Compose.Example()["ADMIN_API_KEY"], env[SettingsTests.AdminKey]);
        }

        Assert.Equal(Compose.Example()["ADMIN_API_KEY"], Compose.Environment(Compose.Service(File, "demo"))["API_KEY"]);
    }

    [Fact]
    public void The_env_file_stays_out_of_git_and_of_the_image_build_context()
    {
        Assert.Contains(".env", System.IO.File.ReadAllLines(Path.Combine(Manifests.Root, ".gitignore")));
        Assert.Contains(".env", System.IO.File.ReadAllLines(Path.Combine(Manifests.Root, "infra", "docker", "Dockerfile.dockerignore")));
    }

    [Fact]
    public void The_image_build_locks_the_shared_NuGet_cache()
    {
        var dockerfile = System.IO.File.ReadAllText(Path.Combine(Manifests.Root, Services.Dockerfile));
        var mounts = Regex.Matches(dockerfile, @"--mount=type=cache,\S+").Select(m => m.Value).ToList();
        Assert.NotEmpty(mounts);
        Assert.All(mounts, m => Assert.Contains("sharing=locked", m, StringComparison.Ordinal));
    }

    [Fact]
    public void The_demo_runs_the_demo_job_of_make_run_against_Reporting_once_every_service_is_healthy()
    {
        var demo = Compose.Service(File, "demo");
        Assert.Equal(["demo"], demo["profiles"]!.AsArray().Select(p => p.Str()));
        Assert.Equal("no", demo["restart"]?.ToString());
        Assert.Contains("COPY infra/demo.sh", Stage(System.IO.File.ReadAllText(Path.Combine(Manifests.Root, Services.Dockerfile)), demo["build"]!["target"].Str()), StringComparison.Ordinal);
        var env = Compose.Environment(demo);
        Assert.Equal(Compose.Environment(Compose.Service(File, "reporting"))["Urls"].Replace("0.0.0.0", "reporting", StringComparison.Ordinal), env["REPORTING_URL"]);
        Assert.Equal("http://127.0.0.1:5080", env["PUBLIC_URL"]);
        Assert.Equal(Compose.Built(File).Select(s => s.Name).Order(), Compose.DependsOn(demo).Keys.Order());
        var script = System.IO.File.ReadAllText(Path.Combine(Manifests.Root, "infra", "demo.sh"));
        Assert.All(new[] { "REPORTING_URL", "PUBLIC_URL", "API_KEY", "KEY_SOURCE", "RABBITMQ_LOGIN", "LOGS_HINT" }, v => Assert.Contains("${" + v, script, StringComparison.Ordinal));
    }
}
