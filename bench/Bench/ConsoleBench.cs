using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Bench;

/// <summary>
/// The console's figures, measured over HTTP on loopback against the five services as processes (Release): what the job
/// page of a 100,000-child job requests (its assets and its API calls: time and bytes), the overview with 50 running jobs,
/// and the CPU the live overview stream costs the Reporting process.
/// </summary>
internal static class ConsoleBench
{
    private static readonly string[] Assets =
        ["/console/", "/console/console.css", "/console/favicon.svg", "/console/js/app.js", "/console/js/api.js", "/console/js/dom.js", "/console/js/pages/job.js"];

    public static async Task<int> RunAsync(string[] args)
    {
        var children = int.Parse(BenchArgs.Value(args, "--console-children", "100000"), CultureInfo.InvariantCulture);
        var runningJobs = int.Parse(BenchArgs.Value(args, "--console-running", "50"), CultureInfo.InvariantCulture);
        var streamSeconds = int.Parse(BenchArgs.Value(args, "--console-stream-seconds", "30"), CultureInfo.InvariantCulture);
        const int runs = 20;

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {Environment.OSVersion}");
        Console.WriteLine("starting the five services (Release) on a fresh virtual host ...");
        await using var system = await ServiceSystem.StartAsync("bench-console", new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Security__RateLimit__PermitsPerSecond"] = "100000",
            ["Security__RateLimit__Burst"] = "100000",
        }, "Release");
        using var api = system.ApiClient();
        api.Timeout = TimeSpan.FromMinutes(2);
        var reporting = system["Reporting"];

        // 1. The job page of a job with `children` children, once the audit trail holds every one.
        var watch = Stopwatch.StartNew();
        var big = await SubmitAsync(api, new { children });
        await WaitAsync(api, $"jobs/{big}/status?wait=30", s => s.GetProperty("status").GetString() is "Completed", TimeSpan.FromMinutes(10));
        await WaitAsync(api, $"jobs/{big}", j => j.GetProperty("generations").EnumerateArray().Sum(g => g.GetProperty("children").GetInt64()) >= children,
            TimeSpan.FromMinutes(10));
        Console.WriteLine($"job {big}: {children:N0} children completed and audited in {watch.Elapsed.TotalSeconds:F1} s");

        var assetBytes = 0L;
        foreach (var asset in Assets) assetBytes += (await MeasureAsync(api, asset)).Bytes;
        var detail = await RepeatAsync(runs, () => MeasureAsync(api, $"jobs/{big}"));
        var tree = await RepeatAsync(runs, () => MeasureAsync(api, $"jobs/{big}/tree?page=1&pageSize=50"));
        var events = await RepeatAsync(runs, () => MeasureAsync(api, $"jobs/{big}/events?page=1&pageSize=20"));
        var firstChild = JsonDocument.Parse(await api.GetStringAsync($"jobs/{big}/tree?page=1&pageSize=1")).RootElement
            .GetProperty("children").GetProperty("items")[0].GetProperty("id").GetGuid();
        var level = await RepeatAsync(runs, () => MeasureAsync(api, $"jobs/{big}/tree?node={firstChild}&page=1&pageSize=50"));
        // The page asks for the job, then for its tree and events at once: the server time is that path.
        var serverMs = detail.MedianMs + Math.Max(tree.MedianMs, events.MedianMs);
        var pageBytes = assetBytes + detail.Bytes + tree.Bytes + events.Bytes;

        Console.WriteLine();
        Console.WriteLine($"| job page of a {children:N0}-child job | median ms | p95 ms | bytes |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| assets ({Assets.Length} files) | - | - | {assetBytes:N0} |");
        Row("GET /jobs/{id}", detail);
        Row("GET /jobs/{id}/tree (root level, 50)", tree);
        Row("GET /jobs/{id}/events (20)", events);
        Row("GET /jobs/{id}/tree?node= (a child's level)", level);
        Console.WriteLine($"| **page: server time, bytes with assets** | **{serverMs:F1}** (target < 300) | | **{pageBytes:N0}** (target < 500 KB = 512,000) |");

        // 2. The overview while `runningJobs` jobs run (children that work for ten minutes, cancelled afterwards).
        var running = new List<Guid>();
        for (var i = 0; i < runningJobs; i++) running.Add(await SubmitAsync(api, new { children = 2, work_ms = 600_000 }));
        await WaitAsync(api, "overview", o => o.GetProperty("running").GetArrayLength() >= runningJobs, TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(11));
        var cold = await MeasureAsync(api, "overview");
        var overview = await RepeatAsync(runs, () => MeasureAsync(api, "overview"));
        Console.WriteLine();
        Console.WriteLine($"| overview with {runningJobs} running jobs | median ms | p95 ms | bytes |");
        Console.WriteLine("|---|---:|---:|---:|");
        Row("GET /overview (target < 300)", overview);
        Console.WriteLine($"| (one call after 10 s of none: dependency checks and schedules not cached) | {cold.Ms:F1} | | {cold.Bytes:N0} |");

        // 3. What an open overview costs Reporting: its CPU with no page open, with one, with five, and after they closed.
        var idle = await CpuShareAsync(reporting.ProcessId!.Value, streamSeconds);
        var (one, oneEvents) = await StreamCpuAsync(reporting, system.AdminKey, streamSeconds, 1);
        var (five, fiveEvents) = await StreamCpuAsync(reporting, system.AdminKey, streamSeconds, 5);
        var after = await CpuShareAsync(reporting.ProcessId!.Value, streamSeconds);
        Console.WriteLine();
        Console.WriteLine($"| Reporting CPU over {streamSeconds} s, {runningJobs} jobs running | % of one core | overview events received |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| no page open | {idle:F2} | - |");
        Console.WriteLine($"| one overview open | {one:F2} ({one - idle:+0.00;-0.00} over none; target < 2) | {oneEvents} |");
        Console.WriteLine($"| five overviews open | {five:F2} ({five - idle:+0.00;-0.00} over none) | {fiveEvents} |");
        Console.WriteLine($"| after they closed | {after:F2} | - |");

        foreach (var id in running) await api.DeleteAsync($"jobs/{id}");
        return serverMs < 300 && pageBytes < 512_000 && overview.MedianMs < 300 && one - idle < 2 ? 0 : 1;

        static void Row(string what, Sample s) => Console.WriteLine($"| {what} | {s.MedianMs:F1} | {s.P95Ms:F1} | {s.Bytes:N0} |");
    }

    private sealed record Sample(double MedianMs, double P95Ms, long Bytes);

    private static async Task<(double Ms, long Bytes)> MeasureAsync(HttpClient client, string path)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        var ms = watch.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        // Headers count too: what goes over the wire is what a page waits for.
        var headers = response.Headers.Concat(response.Content.Headers).Sum(h => h.Key.Length + 4 + h.Value.Sum(v => v.Length)) + 17;
        return (ms, body.LongLength + headers);
    }

    private static async Task<Sample> RepeatAsync(int runs, Func<Task<(double Ms, long Bytes)>> measure)
    {
        await measure(); // warm-up
        var samples = new List<(double Ms, long Bytes)>();
        for (var i = 0; i < runs; i++) samples.Add(await measure());
        var times = samples.Select(s => s.Ms).Order().ToList();
        return new Sample(times[times.Count / 2], times[(int)Math.Ceiling(times.Count * 0.95) - 1], samples[^1].Bytes);
    }

    private static async Task<(double Percent, int Events)> StreamCpuAsync(ServiceProcess reporting, string key, int seconds, int streams)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 2));
        var counts = new int[streams];
        var readers = Enumerable.Range(0, streams).Select(i => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = reporting.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            try
            {
                using var response = await client.GetAsync("overview/stream", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
                while (await reader.ReadLineAsync(cancel.Token) is { } line)
                    if (line.StartsWith("event: overview", StringComparison.Ordinal)) counts[i]++;
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();
        await Task.Delay(1000);
        var percent = await CpuShareAsync(reporting.ProcessId!.Value, seconds);
        await Task.WhenAll(readers);
        return (percent, counts.Sum());
    }

    /// <summary>User + system CPU of a process over <paramref name="seconds"/>, as a percentage of one core.</summary>
    private static async Task<double> CpuShareAsync(int pid, int seconds)
    {
        var before = ServiceProcess.CpuSecondsOf(pid);
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        return 100 * (ServiceProcess.CpuSecondsOf(pid) - before) / watch.Elapsed.TotalSeconds;
    }

    private static async Task<Guid> SubmitAsync(HttpClient api, object settings)
    {
        var response = await api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /jobs: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }

    private static async Task WaitAsync(HttpClient api, string path, Func<JsonElement, bool> done, TimeSpan timeout) =>
        await Eventually.Until(async () =>
        {
            var response = await api.GetAsync(path);
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
        }, e => e.ValueKind == JsonValueKind.Object && done(e), timeout, $"GET {path}");
}
