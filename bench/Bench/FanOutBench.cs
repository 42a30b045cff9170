using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Bench;

internal static class FanOutBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Fan-out benchmark: the five services as processes (Release), synthetic root jobs with N no-op children,
        // from POST /jobs to status Completed. Prints wall seconds, children/s, messages published per child
        // (RabbitMQ management counters of the benchmark's own virtual host), how long after a job's end its audit trail is
        // complete, peak RSS and CPU seconds per service, the end-to-end latency of a 1-child job on an idle system and while a
        // big job runs (--mixed-children, 0 to skip).
        var sizes = BenchArgs.Value(args, "--children", "1000,10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var latencyRuns = int.Parse(BenchArgs.Value(args, "--latency-runs", "50"), CultureInfo.InvariantCulture);

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {Environment.OSVersion}");
        Console.WriteLine("starting the five services (Release) on a fresh virtual host ...");
        // The benchmark polls job status every few milliseconds: far above a normal key's rate limit.
        await using var system = await ServiceSystem.StartAsync("bench", new Dictionary<string, string>
        {
            ["Schedules__0__Enabled"] = "false",
            ["Security__RateLimit__PermitsPerSecond"] = "100000",
            ["Security__RateLimit__Burst"] = "100000",
        }, "Release");
        using var api = system.ApiClient();
        using var management = Infrastructure.Management(system.VirtualHost);
        var vhost = system.VirtualHost.AbsolutePath.TrimStart('/');

        // Warm-up: the services are long-running, so the figures are steady-state ones (tiered JIT settled).
        await RunAsync(10_000, settle: false);
        await RunAsync(10_000, settle: false);
        // Latency is that of a job on an idle system: runs 100 ms apart, so one job's trailing work (its audit rows, the
        // Scheduler's bookkeeping) is not counted in the next one's time. Enough warm-up runs first for the tiered JIT.
        for (var i = 0; i < 200; i++) await RunAsync(1, settle: false);

        await IdleAsync();
        // What the services and the infrastructure use with no job at all (timers, polls, health checks): the baseline of the figures below.
        var idleBefore = system.CpuSeconds();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idle = CpuSince(idleBefore);
        var latencies = new List<double>();
        var cpuBefore = system.CpuSeconds();
        for (var i = 0; i < latencyRuns; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            latencies.Add((await RunAsync(1, settle: false)).Seconds * 1000);
        }
        // And back to back, each job posted as soon as the previous one has ended: latency under a steady stream of small jobs.
        var streamed = new List<double>();
        for (var i = 0; i < latencyRuns; i++) streamed.Add((await RunAsync(1, settle: false)).Seconds * 1000);
        // The trailing work of the last jobs (audit rows, the Scheduler's bookkeeping) counts too.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var latencyCpu = CpuSince(cpuBefore);
        Console.WriteLine();
        Console.WriteLine($"1-child job, POST /jobs -> Completed, {latencyRuns} runs 100 ms apart: {Figures(latencies)}");
        Console.WriteLine($"1-child job, POST /jobs -> Completed, {latencyRuns} runs back to back:  {Figures(streamed)}");
        Console.WriteLine($"CPU per 1-child job (user + system, over both series, {2 * latencyRuns} jobs): {latencyCpu.Values.Sum() * 1000 / (2 * latencyRuns):F1} ms; "
                          + string.Join(", ", latencyCpu.Select(c => $"{c.Key} {c.Value * 1000 / (2 * latencyRuns):F1}")));
        Console.WriteLine($"CPU when idle, ms per second: {idle.Values.Sum() * 1000 / 5:F1}; " + string.Join(", ", idle.Select(c => $"{c.Key} {c.Value * 1000 / 5:F1}")));
        // The reference, in the same run on the same machine (the five services up and idle): BullMQ's 1-child flow and 10,000 children.
        if (BenchArgs.Value(args, "--bullmq", "on") != "off")
        {
            Console.WriteLine();
            Console.WriteLine("reference: BullMQ (npm bullmq, its own Redis without persistence on another port, workers with concurrency 10) ...");
            if (await BullMqBench.RunAsync(latencyRuns, 10_000, Console.Out) is { } reference)
                foreach (var line in BullMqBench.Describe(reference, latencyRuns, 10_000)) Console.WriteLine(line);
        }

        Console.WriteLine();
        Console.WriteLine("| children | wall s | children/s | msgs published/child | first child done s | all counted s | audit complete s after the end | largest peak RSS so far | status |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|---|");
        var cpu = new List<(int Children, Dictionary<string, double> Seconds)>();
        foreach (var n in sizes)
        {
            var before = system.CpuSeconds();
            var result = await RunAsync(n, settle: true);
            cpu.Add((n, CpuSince(before)));
            Console.WriteLine($"| {n:N0} | {result.Seconds:F2} | {n / result.Seconds:N0} | {result.MessagesPerChild:F2} | {result.FirstDone:F2} | {result.AllCounted:F2} | {result.Audited} | {LargestPeak()} | {result.Status} ({result.Counted:N0} counted) |");
        }

        // Mixed load: 1-child jobs back to back while a big job runs on the same queues (a small job must not wait behind its children).
        var mixedChildren = int.Parse(BenchArgs.Value(args, "--mixed-children", "100000"), CultureInfo.InvariantCulture);
        if (mixedChildren > 0) await MixedAsync(mixedChildren);

        // Where the CPU went: from just before the POST to the settled message counters (the Auditor's trailing rows included).
        Console.WriteLine();
        Console.WriteLine("CPU seconds (user + system) per job, services and infrastructure:");
        foreach (var (n, seconds) in cpu)
            Console.WriteLine($"  {n,9:N0} children: {seconds.Values.Sum():F1} s; " + string.Join(", ", seconds.Select(c => $"{c.Key} {c.Value:F1}")));

        Console.WriteLine();
        Console.WriteLine("peak RSS (VmHWM) per service over the whole run:");
        foreach (var service in system.Services)
            Console.WriteLine($"  {service.Name,-13} {service.PeakRssBytes() / (1024.0 * 1024.0):F0} MB");
        return 0;

        static string Figures(List<double> milliseconds)
        {
            milliseconds.Sort();
            return $"median {Percentile(milliseconds, 0.5):F1} ms, p95 {Percentile(milliseconds, 0.95):F1} ms (min {milliseconds[0]:F1} ms, max {milliseconds[^1]:F1} ms)";
        }

        async Task<Result> RunAsync(int children, bool settle)
        {
            var before = settle ? await SettledPublishedAsync() : 0;
            var watch = Stopwatch.StartNew();
            var response = await api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children, work_ms = 0 } });
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            JsonElement job;
            double firstDone = 0, allCounted = 0;
            while (true)
            {
                // A 1-child job is followed as a client waiting for its end would: the status answers when the job ends.
                // The bigger ones are polled, to see when the first child is counted.
                job = await api.GetFromJsonAsync<JsonElement>(children == 1 ? $"jobs/{id}/status?wait=30" : $"jobs/{id}/status");
                var done = job.GetProperty("children").GetProperty("completed").GetInt64();
                if (done > 0 && firstDone == 0) firstDone = watch.Elapsed.TotalSeconds;
                if (done >= children && allCounted == 0) allCounted = watch.Elapsed.TotalSeconds;
                if (job.GetProperty("status").GetString() is "Completed" or "CompletedWithFailures" or "Failed" or "Cancelled") break;
                if (watch.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"job of {children} children did not finish:\n{system.Diagnostics()}");
                if (system.Services.Any(s => !s.IsRunning))
                    throw new InvalidOperationException($"a service stopped during the job of {children} children:\n{system.Diagnostics()}");
                if (children > 1) await Task.Delay(20);
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var counted = job.GetProperty("children").GetProperty("completed").GetInt64();
            double perChild = 0;
            var audited = "-";
            if (settle)
            {
                audited = await AuditedAsync(id, job.GetProperty("status").GetString()!, counted, seconds, watch);
                perChild = (await SettledPublishedAsync() - before) / (double)children;
            }

            return new Result(seconds, perChild, job.GetProperty("status").GetString()!, counted, firstDone, allCounted == 0 ? seconds : allCounted, audited);
        }

        // How long after the job's end the Auditor's trail holds the root's end and a row for every counted child (read through its read model).
        async Task<string> AuditedAsync(Guid id, string status, long counted, double endedAt, Stopwatch watch)
        {
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(system.AuditDatabase);
            var audit = new Jobs.Auditor.ReadModel.AuditTrailReader(dataSource);
            while (true)
            {
                var rows = (await audit.GenerationsAsync(id, CancellationToken.None)).Sum(g => g.Children - g.Failed);
                var ended = rows == counted && (await audit.RootJobsAsync(
                    new Jobs.Auditor.ReadModel.AuditedRootJobFilter(null, status, null, null, null, 1, 1, Text: id.ToString()), CancellationToken.None)).Total == 1;
                if (ended) return $"{Math.Max(0, watch.Elapsed.TotalSeconds - endedAt):F2} ({rows:N0} rows)";
                if (watch.Elapsed.TotalSeconds - endedAt > 120) return $"NOT within 120 ({rows:N0} of {counted:N0} rows)";
                await Task.Delay(50);
            }
        }

        async Task MixedAsync(int children)
        {
            await IdleAsync();
            var watch = Stopwatch.StartNew();
            var response = await api.PostAsJsonAsync("jobs", new { platform = "synthetic", settings = new { children, work_ms = 0 } });
            response.EnsureSuccessStatusCode();
            var big = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var small = new List<double>();
            string bigStatus;
            while (true)
            {
                var job = await api.GetFromJsonAsync<JsonElement>($"jobs/{big}/status");
                bigStatus = job.GetProperty("status").GetString()!;
                if (bigStatus is "Completed" or "CompletedWithFailures" or "Failed" or "Cancelled") break;
                if (watch.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"job of {children} children did not finish:\n{system.Diagnostics()}");
                small.Add((await RunAsync(1, settle: false)).Seconds * 1000);
            }

            var bigSeconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine();
            Console.WriteLine(small.Count == 0
                ? $"mixed load: the {children:N0}-child job ended ({bigStatus}, {bigSeconds:F2} s) before a 1-child job could run beside it"
                : $"mixed load: {small.Count} 1-child jobs back to back while a {children:N0}-child job ran ({bigStatus} in {bigSeconds:F2} s, "
                  + $"{children / bigSeconds:N0} children/s): {Figures(small)}");
        }

        // Waits until no queue of the benchmark's virtual host holds a message (the Auditor catching up, say).
        async Task IdleAsync()
        {
            await Eventually.Until(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(5.5));
                var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{vhost}");
                return queues.EnumerateArray().Sum(q => q.TryGetProperty("messages", out var m) ? m.GetInt64() : 0);
            }, waiting => waiting == 0, TimeSpan.FromMinutes(5), "idle queues");
        }

        // The management counters are refreshed every 5 s: read them once nothing has moved for a refresh.
        async Task<long> SettledPublishedAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
            return await PublishedAsync();
        }

        async Task<long> PublishedAsync()
        {
            var overview = await management.GetFromJsonAsync<JsonElement>($"api/vhosts/{vhost}");
            return overview.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("publish", out var publish) ? publish.GetInt64() : 0;
        }

        string LargestPeak()
        {
            var largest = system.Services.Select(s => (s.Name, Bytes: s.PeakRssBytes() ?? 0)).MaxBy(s => s.Bytes);
            return $"{largest.Bytes / (1024.0 * 1024.0):F0} MB ({largest.Name})";
        }

        Dictionary<string, double> CpuSince(CpuSnapshot before) => system.CpuSeconds().Since(before);

        static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}

internal sealed record Result(double Seconds, double MessagesPerChild, string Status, long Counted, double FirstDone, double AllCounted, string Audited = "-");
