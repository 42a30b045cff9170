using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Jobs.TestSupport;

namespace Jobs.Bench;

/// <summary>
/// Where the milliseconds of a 1-child job go: the five services (Release) export every span to a loopback OTLP receiver; each
/// measured job is posted with a <c>traceparent</c> of the benchmark's (so its trace id is known and the status request joins the
/// same trace), and its spans are laid out against the moment the client sent <c>POST /jobs</c>. Prints, per span (in order of
/// start), the median start and end over the runs and on which service it ran: the broker hops are the gaps between a send or
/// publish span and the receive span that follows it in another service.
/// </summary>
internal static class TimelineBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = int.Parse(BenchArgs.Value(args, "--timeline-runs", "30"), CultureInfo.InvariantCulture);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}");
        await using var receiver = await OtlpReceiver.StartAsync(keep: true);
        var settings = new Dictionary<string, string>(receiver.Environment(TimeSpan.FromMilliseconds(200)))
        {
            ["Schedules__0__Enabled"] = "false",
            ["Security__RateLimit__PermitsPerSecond"] = "100000",
            ["Security__RateLimit__Burst"] = "100000",
        };
        Console.WriteLine("starting the five services (Release), exporting every span to a loopback OTLP receiver ...");
        await using var system = await ServiceSystem.StartAsync("bench-timeline", settings, "Release");
        using var api = system.ApiClient();

        for (var i = 0; i < 200; i++) await JobAsync(api, null);
        var measured = new List<(string TraceId, long SentUnixNano, double Milliseconds)>();
        for (var i = 0; i < runs; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            var traceId = ActivityTraceId.CreateRandom().ToHexString();
            var sent = UnixNanoNow();
            measured.Add((traceId, sent, await JobAsync(api, traceId)));
        }

        // The exporters send every 200 ms: wait for the last batches.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var rows = new Dictionary<string, (int Order, List<double> Starts, List<double> Ends)>();
        foreach (var (traceId, sent, _) in measured)
        {
            var seen = new Dictionary<string, int>();
            var order = 0;
            foreach (var span in receiver.Trace(traceId).OrderBy(s => s.StartUnixNano))
            {
                // The same span name more than once in a trace (one per Redis call, say) is told apart by its rank.
                var name = $"{span.Service}: {span.Name}";
                seen[name] = seen.GetValueOrDefault(name) + 1;
                var key = seen[name] == 1 ? name : $"{name} #{seen[name]}";
                if (!rows.TryGetValue(key, out var row)) rows[key] = row = (order, [], []);
                row.Starts.Add((span.StartUnixNano - sent) / 1e6);
                row.Ends.Add((span.EndUnixNano - sent) / 1e6);
                order++;
            }
        }

        var totals = measured.Select(m => m.Milliseconds).Order().ToList();
        Console.WriteLine();
        Console.WriteLine($"1-child job, {runs} runs 100 ms apart, tracing every span: client POST -> Completed median {Median(totals):F1} ms " +
                          $"(min {totals[0]:F1}, max {totals[^1]:F1}); times from the client's POST, medians over the runs that have the span");
        Console.WriteLine();
        Console.WriteLine("| start ms | end ms | runs | span |");
        Console.WriteLine("|---:|---:|---:|---|");
        foreach (var (key, row) in rows.OrderBy(r => Median(r.Value.Starts.Order().ToList())))
            Console.WriteLine($"| {Median(row.Starts.Order().ToList()):F2} | {Median(row.Ends.Order().ToList()):F2} | {row.Starts.Count} | {key} |");
        return 0;

        async Task<double> JobAsync(HttpClient client, string? traceId)
        {
            var watch = Stopwatch.StartNew();
            using var post = new HttpRequestMessage(HttpMethod.Post, "jobs")
            {
                Content = JsonContent.Create(new { platform = "synthetic", settings = new { children = 1, work_ms = 0 } }),
            };
            if (traceId is not null) post.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var response = await client.SendAsync(post);
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            while (true)
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, $"jobs/{id}/status?wait=30");
                if (traceId is not null) get.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
                using var answer = await client.SendAsync(get);
                var job = await answer.Content.ReadFromJsonAsync<JsonElement>();
                var status = job.GetProperty("status").GetString();
                if (status == "Completed") return watch.Elapsed.TotalMilliseconds;
                if (status is "CompletedWithFailures" or "Failed" or "Cancelled") throw new InvalidOperationException($"a 1-child job ended {status}:\n{system.Diagnostics()}");
                if (watch.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException($"a 1-child job did not finish:\n{system.Diagnostics()}");
            }
        }
    }

    private static long UnixNanoNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
