using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Jobs.Bench;

/// <summary>
/// The BullMQ reference of the fan-out suite: bench/bullmq/flow.mjs (a FlowProducer parent with no-op children, Workers with
/// concurrency 10) against a Redis of its own, started here without persistence (<c>--save "" --appendonly no</c>).
/// </summary>
internal static class BullMqBench
{
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromMinutes(20);

    /// <summary><c>--suite bullmq</c>: the reference alone, with <c>--latency-runs</c> (50) one-child flows each way and 10,000 children.</summary>
    public static async Task<int> RunStandaloneAsync(string[] args)
    {
        var runs = int.Parse(BenchArgs.Value(args, "--latency-runs", "50"), CultureInfo.InvariantCulture);
        const int children = 10_000;
        var figures = await RunAsync(runs, children, Console.Out);
        if (figures is null) return 1;
        Console.WriteLine();
        foreach (var line in Describe(figures, runs, children)) Console.WriteLine(line);
        return 0;
    }

    /// <summary>The figures as lines in the fan-out suite's wording.</summary>
    public static IEnumerable<string> Describe(BullMqFigures figures, int runs, int children)
    {
        yield return $"BullMQ {figures.Version}, 1-child flow, add -> parent completed, {runs} runs 100 ms apart: {figures.Apart}";
        yield return $"BullMQ {figures.Version}, 1-child flow, add -> parent completed, {runs} runs back to back:  {figures.BackToBack}";
        yield return $"BullMQ {figures.Version}, {children:N0} no-op children in one flow: {figures.ChildrenPerSecond:N0} children/s (median of 3)";
    }

    /// <summary>
    /// Installs bench/bullmq's packages, starts a Redis of its own, runs flow.mjs against it and returns its figures; or null, with a
    /// line <c>BullMQ: not run (reason)</c> on <paramref name="log"/>, when Node.js, npm or redis-server is missing or a step fails.
    /// </summary>
    public static async Task<BullMqFigures?> RunAsync(int runs, int children, TextWriter log)
    {
        log = TextWriter.Synchronized(log);
        BullMqFigures? NotRun(string reason)
        {
            log.WriteLine($"BullMQ: not run ({reason})");
            return null;
        }

        var root = RepositoryRoot();
        if (root is null) return NotRun($"no Microservices.sln above {AppContext.BaseDirectory}");
        var directory = Path.Combine(root, "bench", "bullmq");
        if (!File.Exists(Path.Combine(directory, "flow.mjs"))) return NotRun($"{directory}/flow.mjs is missing");
        var node = FindOnPath("node");
        if (node is null) return NotRun("node is not on PATH");
        var npm = FindOnPath("npm");
        if (npm is null) return NotRun("npm is not on PATH");
        var redisServer = FindOnPath("redis-server");
        if (redisServer is null) return NotRun("redis-server is not on PATH");

        // npm ci installs exactly the locked versions; without a lock file (a fresh checkout of an edited package.json) npm install makes one.
        string[] install = File.Exists(Path.Combine(directory, "package-lock.json"))
            ? ["ci", "--no-audit", "--no-fund"]
            : ["install", "--no-audit", "--no-fund"];
        log.WriteLine($"BullMQ: npm {string.Join(' ', install)} in {directory} ...");
        var installed = await RunProcessAsync(npm, install, directory, NpmTimeout, onStderrLine: null);
        if (installed.ExitCode != 0)
        {
            foreach (var line in Tail(installed.Stdout + installed.Stderr, 15)) log.WriteLine($"  npm: {line}");
            return NotRun(installed.TimedOut ? $"npm {install[0]} timed out after {NpmTimeout.TotalMinutes:F0} min" : $"npm {install[0]} exited with {installed.ExitCode}");
        }

        var dataDirectory = Directory.CreateTempSubdirectory("bench-bullmq-redis-");
        Process? redis = null;
        try
        {
            var port = FreePort();
            var redisInfo = new ProcessStartInfo(redisServer,
                ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dataDirectory.FullName])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var redisOutput = new StringBuilder();
            redis = Process.Start(redisInfo);
            if (redis is null) return NotRun("redis-server did not start");
            redis.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (redisOutput) redisOutput.AppendLine(e.Data); };
            redis.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (redisOutput) redisOutput.AppendLine(e.Data); };
            redis.BeginOutputReadLine();
            redis.BeginErrorReadLine();
            if (!await WaitForPingAsync(port, redis, TimeSpan.FromSeconds(15)))
            {
                string output;
                lock (redisOutput) output = redisOutput.ToString();
                foreach (var line in Tail(output, 10)) log.WriteLine($"  redis-server: {line}");
                return NotRun($"redis-server on port {port} did not answer PING");
            }

            log.WriteLine($"BullMQ: redis-server on 127.0.0.1:{port} (no RDB, no AOF); node flow.mjs --runs {runs} --children {children} ...");
            var flow = await RunProcessAsync(node,
                ["flow.mjs", "--port", port.ToString(CultureInfo.InvariantCulture), "--runs", runs.ToString(CultureInfo.InvariantCulture), "--children", children.ToString(CultureInfo.InvariantCulture)],
                directory, FlowTimeout, onStderrLine: line => log.WriteLine($"  {line}"));
            if (flow.TimedOut) return NotRun($"flow.mjs did not finish within {FlowTimeout.TotalMinutes:F0} min");
            if (flow.ExitCode != 0) return NotRun($"flow.mjs exited with {flow.ExitCode}");
            var json = flow.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
            if (json is null) return NotRun("flow.mjs printed no JSON line");
            try
            {
                return Parse(json);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return NotRun($"flow.mjs printed a line that is not its figures: {e.Message}");
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or SocketException)
        {
            return NotRun($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (redis is not null)
            {
                try
                {
                    if (!redis.HasExited) redis.Kill(entireProcessTree: true);
                    await redis.WaitForExitAsync();
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                redis.Dispose();
            }

            try
            {
                dataDirectory.Delete(recursive: true);
            }
            catch (IOException e)
            {
                log.WriteLine($"BullMQ: could not remove {dataDirectory.FullName}: {e.Message}");
            }
        }
    }

    private static BullMqFigures Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new BullMqFigures(
            root.GetProperty("bullmq").GetString() ?? throw new FormatException("no bullmq version"),
            Latency(root.GetProperty("apart")),
            Latency(root.GetProperty("backToBack")),
            root.GetProperty("childrenPerSecond").GetDouble());

        static BullMqLatency Latency(JsonElement e) => new(
            e.GetProperty("median").GetDouble(), e.GetProperty("p95").GetDouble(), e.GetProperty("min").GetDouble(), e.GetProperty("max").GetDouble());
    }

    private static string? RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Microservices.sln"))) return directory.FullName;
        return null;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }

    /// <summary>A port nothing listens on now (the OS's pick for an ephemeral listener, closed again at once).</summary>
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<bool> WaitForPingAsync(int port, Process redis, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var buffer = new byte[64];
        while (watch.Elapsed < timeout && !redis.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), attempt.Token);
                var read = await stream.ReadAsync(buffer, attempt.Token);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal)) return true;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // Not listening yet, or still loading.
            }

            await Task.Delay(50);
        }

        return false;
    }

    private sealed record ProcessResult(int ExitCode, bool TimedOut, string Stdout, string Stderr);

    /// <summary>Runs a program to its end (or kills it after <paramref name="timeout"/>), collecting its output.</summary>
    private static async Task<ProcessResult> RunProcessAsync(string program, string[] arguments, string directory, TimeSpan timeout, Action<string>? onStderrLine)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var process = Process.Start(info) ?? throw new IOException($"{program} did not start");
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            onStderrLine?.Invoke(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
        }

        // After the exit, so that the redirected output has been read to its end.
        await process.WaitForExitAsync();
        string outText, errText;
        lock (stdout) outText = stdout.ToString();
        lock (stderr) errText = stderr.ToString();
        return new ProcessResult(timedOut ? -1 : process.ExitCode, timedOut, outText, errText);
    }

    private static IEnumerable<string> Tail(string text, int lines) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines);
}

/// <summary>The BullMQ reference's figures: one-child flow latencies in milliseconds, and the median children/s of three N-children flows.</summary>
internal sealed record BullMqFigures(string Version, BullMqLatency Apart, BullMqLatency BackToBack, double ChildrenPerSecond);

/// <summary>Latencies in milliseconds; p95 is the nearest-rank percentile, as in the fan-out suite.</summary>
internal sealed record BullMqLatency(double Median, double P95, double Min, double Max)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"median {Median:F1} ms, p95 {P95:F1} ms (min {Min:F1} ms, max {Max:F1} ms)");
}
