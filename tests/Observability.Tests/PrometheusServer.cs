using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Observability.Tests;

/// <summary>A scrape target of the test's Prometheus: its job and instance, the path and the labels it adds.</summary>
public sealed record ScrapeTarget(string Job, string Address, string MetricsPath, IReadOnlyDictionary<string, string> Labels);

/// <summary>The answer of one <c>/api/v1/query</c>: whether it parsed, its error, and the series it returned.</summary>
public sealed record QueryResult(bool Parsed, string? Error, IReadOnlyList<JsonElement> Series);

/// <summary>
/// Debian's <c>prometheus</c> (infra/install.sh installs it) run by the test on a loopback port of its own, with its own
/// temporary storage and a 1 s scrape interval, loading the repository's alert rules (infra/prometheus/alerts.yml).
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";
    public const string Promtool = "/usr/bin/promtool";

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _directory;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Address = new Uri($"http://127.0.0.1:{port}/");
        Client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public string ConfigFile => Path.Combine(_directory, "prometheus.yml");

    public static string AlertRulesFile => Path.Combine(ServiceSystem.RepositoryRoot(), "infra", "prometheus", "alerts.yml");

    /// <summary>The configuration: the repository's job names, the targets given, the repository's rules; scrape and evaluation every second.</summary>
    public static string Configuration(IEnumerable<ScrapeTarget> targets)
    {
        var text = new StringBuilder();
        text.AppendLine("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s");
        text.AppendLine($"rule_files:\n  - {Quote(AlertRulesFile)}");
        text.AppendLine("scrape_configs:");
        foreach (var job in targets.GroupBy(t => (t.Job, t.MetricsPath)))
        {
            text.AppendLine($"  - job_name: {Quote(job.Key.Job)}\n    metrics_path: {Quote(job.Key.MetricsPath)}\n    static_configs:");
            foreach (var target in job)
            {
                text.AppendLine($"      - targets: [{Quote(target.Address)}]");
                if (target.Labels.Count == 0) continue;
                text.AppendLine("        labels:");
                foreach (var (name, value) in target.Labels) text.AppendLine($"          {name}: {Quote(value)}");
            }
        }

        return text.ToString();
    }

    public static async Task<PrometheusServer> StartAsync(IEnumerable<ScrapeTarget> targets)
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is missing: run infra/install.sh (it installs Debian's prometheus package)");
        var directory = Directory.CreateTempSubdirectory("obs-prometheus-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), Configuration(targets));
        var port = ServiceProcess.FreePort();
        var info = new ProcessStartInfo(Binary,
        [
            $"--config.file={Path.Combine(directory, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, directory, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.Until(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{server.Tail()}");
                try
                {
                    return (await server.Client.GetAsync("-/ready")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, ready => ready, TimeSpan.FromSeconds(60), "prometheus to be ready");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>An instant query at the current time.</summary>
    public async Task<QueryResult> QueryAsync(string promql)
    {
        using var response = await Client.PostAsync("api/v1/query", new FormUrlEncodedContent(new Dictionary<string, string> { ["query"] = promql }));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        if (body.GetProperty("status").GetString() != "success")
            return new QueryResult(false, $"{body.GetProperty("errorType").GetString()}: {body.GetProperty("error").GetString()}", []);
        var data = body.GetProperty("data");
        var result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" or "matrix" => new QueryResult(true, null, result.EnumerateArray().ToList()),
            _ => new QueryResult(true, null, [result]), // scalar or string: one value
        };
    }

    /// <summary>The value of a query that returns one series (or a scalar); null when it returns none.</summary>
    public async Task<double?> ValueAsync(string promql)
    {
        var result = await QueryAsync(promql);
        Assert.True(result.Parsed, $"{promql}: {result.Error}");
        if (result.Series.Count == 0) return null;
        var value = result.Series[0].ValueKind == JsonValueKind.Array ? result.Series[0] : result.Series[0].GetProperty("value");
        return double.Parse(value[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>The label values Prometheus knows for <paramref name="label"/> on the series <paramref name="match"/> selects.</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string match)
    {
        var body = JsonDocument.Parse(await Client.GetStringAsync($"api/v1/label/{label}/values?match[]={Uri.EscapeDataString(match)}")).RootElement;
        return body.GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    /// <summary>The rules Prometheus loaded (<c>/api/v1/rules</c>): name, query and health (and the error when unhealthy).</summary>
    public async Task<IReadOnlyList<(string Name, string Query, string Health, string? Error)>> RulesAsync()
    {
        var body = JsonDocument.Parse(await Client.GetStringAsync("api/v1/rules")).RootElement;
        return body.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("query").GetString()!, r.GetProperty("health").GetString()!,
                r.TryGetProperty("lastError", out var e) && e.GetString() is { Length: > 0 } error ? error : null))
            .ToList();
    }

    /// <summary>The health of every scrape target (<c>/api/v1/targets</c>), by job and instance.</summary>
    public async Task<IReadOnlyList<(string Job, string Instance, string Health, string? Error)>> TargetsAsync()
    {
        var body = JsonDocument.Parse(await Client.GetStringAsync("api/v1/targets?state=active")).RootElement;
        return body.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => (t.GetProperty("labels").GetProperty("job").GetString()!, t.GetProperty("labels").GetProperty("instance").GetString()!,
                t.GetProperty("health").GetString()!, t.TryGetProperty("lastError", out var e) && e.GetString() is { Length: > 0 } error ? error : null))
            .ToList();
    }

    /// <summary>Runs promtool with <paramref name="arguments"/> in <paramref name="workingDirectory"/>: its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> PromtoolAsync(string workingDirectory, params string[] arguments)
    {
        if (!File.Exists(Promtool)) throw new InvalidOperationException($"{Promtool} is missing: run infra/install.sh (it installs Debian's prometheus package)");
        var info = new ProcessStartInfo(Promtool, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    public string Tail(int lines = 30)
    {
        lock (_log) return string.Join('\n', _log.ToString().Split('\n').TakeLast(lines));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value); // a JSON string is a YAML double-quoted scalar
}
