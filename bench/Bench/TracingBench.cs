using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Bench;

internal static class TracingBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        // What tracing costs: two systems of the five services (Release) side by side, one without OTEL_EXPORTER_OTLP_ENDPOINT
        // (spans for their ids only, nothing exported) and one exporting every span to an OTLP/HTTP receiver on loopback, with the
        // default settings (no span per child). The jobs alternate between the two, so load from elsewhere on the machine falls on
        // both alike: 10,000-child throughput (POST /jobs -> Completed) and the latency of a 1-child job, medians side by side.
        var children = int.Parse(BenchArgs.Value(args, "--tracing-children", "10000"), CultureInfo.InvariantCulture);
        var rounds = int.Parse(BenchArgs.Value(args, "--tracing-rounds", "7"), CultureInfo.InvariantCulture);
        var latencyRuns = int.Parse(BenchArgs.Value(args, "--latency-runs", "50"), CultureInfo.InvariantCulture);

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
        await using var receiver = await OtlpReceiver.StartAsync(keep: false);
        var common = new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Security__RateLimit__PermitsPerSecond"] = "100000",
            ["Security__RateLimit__Burst"] = "100000",
        };
        Console.WriteLine("starting two systems of the five services (Release): tracing off, and exporting to a loopback OTLP receiver ...");
        await using var off = await ServiceSystem.StartAsync("bench-trace-off", common, "Release");
        await using var on = await ServiceSystem.StartAsync("bench-trace-on", new Dictionary<string, string>(common)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }, "Release");
        using var offApi = off.ApiClient();
        using var onApi = on.ApiClient();
        (string Name, ServiceSystem System, HttpClient Api)[] systems = [("off", off, offApi), ("on", on, onApi)];

        // Warm-up of both (tiered JIT settled, pools filled).
        foreach (var (_, system, api) in systems)
        {
            for (var i = 0; i < 2; i++) await JobAsync(system, api, children);
            for (var i = 0; i < 100; i++) await JobAsync(system, api, 1);
        }

        var throughput = systems.ToDictionary(s => s.Name, _ => new List<double>());
        var cpu = systems.ToDictionary(s => s.Name, _ => new List<double>());
        var latency = systems.ToDictionary(s => s.Name, _ => new List<double>());
        foreach (var (_, system, _) in systems) await MeasureIdleAsync(system);
        var (requests, bytes) = (receiver.Requests, receiver.Bytes);
        for (var round = 0; round < rounds; round++)
        {
            // Which system goes first alternates too.
            foreach (var (name, system, api) in round % 2 == 0 ? systems : systems.Reverse())
            {
                // CPU seconds the five services spent on the job (their trailing work included): less at the mercy of the machine's other load.
                var before = CpuSeconds(system);
                throughput[name].Add(children / await JobAsync(system, api, children));
                await Task.Delay(TimeSpan.FromSeconds(1));
                cpu[name].Add(CpuSeconds(system) - before - 1 * IdleCpuPerSecond(system));
            }
        }

        var exported = (Requests: receiver.Requests - requests, Bytes: receiver.Bytes - bytes);
        for (var i = 0; i < latencyRuns; i++)
        {
            foreach (var (name, system, api) in i % 2 == 0 ? systems : systems.Reverse())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50));
                latency[name].Add(await JobAsync(system, api, 1) * 1000);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| tracing | {children:N0} children: median children/s ({rounds} runs, min-max) | CPU s of the five services per job, median | 1-child job: median ms (p95), {latencyRuns} runs |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, _, _) in systems)
        {
            var t = throughput[name].Order().ToList();
            var l = latency[name].Order().ToList();
            var label = name == "off" ? "off (no OTEL_EXPORTER_OTLP_ENDPOINT)" : "on, exporting (defaults: no child spans)";
            Console.WriteLine($"| {label} | {Median(t):N0} ({t[0]:N0}-{t[^1]:N0}) | {Median(cpu[name].Order().ToList()):F2} | {Median(l):F1} ({Percentile(l, 0.95):F1}) |");
        }

        var cost = 1 - Median(throughput["on"].Order().ToList()) / Median(throughput["off"].Order().ToList());
        Console.WriteLine();
        var cpuCost = Median(cpu["on"].Order().ToList()) / Median(cpu["off"].Order().ToList()) - 1;
        Console.WriteLine($"throughput cost of tracing on: {cost:P1}, CPU cost: {cpuCost:P1}; exported during the {rounds} throughput runs: {exported.Requests:N0} OTLP requests, " +
                          $"{exported.Bytes / 1024.0 / rounds:N0} KiB per {children:N0}-child job");
        return 0;

        static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

        static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static double CpuSeconds(ServiceSystem system) => system.Services.Sum(s => s.CpuSeconds() ?? 0);

    /// <summary>What the five services spend idle per second (heartbeats, Quartz, the sweeper), measured once per system.</summary>
    private static double IdleCpuPerSecond(ServiceSystem system) => IdleCpu.GetValueOrDefault(system.VirtualHost.ToString());

    private static readonly Dictionary<string, double> IdleCpu = [];

    private static async Task MeasureIdleAsync(ServiceSystem system)
    {
        var before = CpuSeconds(system);
        await Task.Delay(TimeSpan.FromSeconds(5));
        IdleCpu[system.VirtualHost.ToString()] = (CpuSeconds(system) - before) / 5;
    }

    /// <summary>Seconds from <c>POST /jobs</c> of a synthetic job of <paramref name="children"/> no-op children until it has Completed.</summary>
    private static async Task<double> JobAsync(ServiceSystem system, HttpClient api, int children)
    {
        var watch = Stopwatch.StartNew();
        var response = await api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children, work_ms = 0 } });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        while (true)
        {
            // Answered as soon as the Integrator announces the end.
            var job = await api.GetFromJsonAsync<JsonElement>($"jobs/{id}/status?wait=30");
            var status = job.GetProperty("status").GetString();
            if (status == "Completed") return watch.Elapsed.TotalSeconds;
            if (status is "CompletedWithFailures" or "Failed" or "Cancelled") throw new InvalidOperationException($"job of {children} children ended {status}:\n{system.Diagnostics()}");
            if (watch.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"job of {children} children did not finish:\n{system.Diagnostics()}");
        }
    }
}
