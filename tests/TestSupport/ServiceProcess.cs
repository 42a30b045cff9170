using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Jobs.TestSupport;

/// <summary>One service of the system, run from its build output as a real process.</summary>
public sealed class ServiceProcess(string name, string dll, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public string Name { get; } = name;

    public int Port { get; } = FreePort();

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>
    /// How often the process exited with 75 (the send watchdog's "start me again", <c>SendWatchdog.ExitCode</c>) and was started again,
    /// as its supervisor (Kubernetes, systemd, infra/supervise.sh) would.
    /// </summary>
    public int Restarts { get; private set; }

    /// <summary>Peak resident set size (VmHWM) of the running process, from /proc.</summary>
    public long? PeakRssBytes()
    {
        if (ProcessId is not { } pid) return null;
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>User + system CPU seconds the running process has used so far, from /proc; null once it has exited.</summary>
    public double? CpuSeconds() => ProcessId is { } pid ? CpuSecondsOf(pid) : null;

    /// <summary>User + system CPU seconds of process <paramref name="pid"/>, from /proc (clock ticks of 10 ms).</summary>
    public static double CpuSecondsOf(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>CPU seconds of every process whose command name is <paramref name="command"/>, by pid; one that exits meanwhile is skipped.</summary>
    public static IEnumerable<(int Pid, double Seconds)> CpuSecondsOfCommand(string command)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            double? seconds = null;
            try
            {
                if (File.ReadAllText(Path.Combine(directory, "comm")).TrimEnd('\n') == command) seconds = CpuSecondsOf(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            if (seconds is { } used) yield return (pid, used);
        }
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        info.Environment["Urls"] = BaseAddress.ToString().TrimEnd('/');
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{Name} did not start");
        _process = process;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => RestartOnRequest(process);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} during start-up:\n{Tail()}");
            try
            {
                if ((await http.GetAsync(new Uri(BaseAddress, "health/ready"))).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} was not ready within 90 s:\n{Tail()}");
            await Task.Delay(200);
        }
    }

    private void RestartOnRequest(Process exited)
    {
        // Exit code 75 only: a kill or a crash stays what the test made of it.
        if (exited.ExitCode != 75 || !ReferenceEquals(exited, _process)) return;
        Restarts++;
        Append($"[test harness] {Name} exited with 75 (start me again): starting it again, as its supervisor would");
        _ = Task.Run(async () =>
        {
            try
            {
                await StartAsync();
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                Append($"[test harness] {Name} did not start again: {ex.Message}");
            }
        });
    }

    /// <summary>SIGKILL: no shutdown, no acknowledgement of what is in flight.</summary>
    public void Kill()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        // SIGTERM lets the host stop gracefully.
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
        if (!_process.WaitForExit(15_000)) Kill();
    }

    /// <summary>Everything the process wrote to standard output and error so far.</summary>
    public string Output()
    {
        lock (_log) return _log.ToString();
    }

    public string Tail(int lines = 60)
    {
        lock (_log)
        {
            var all = _log.ToString().Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    // Ports below the kernel's ephemeral range (32768-60999 on Linux): a port the kernel handed out (port 0) is free only
    // until some outgoing connection (to RabbitMQ, Redis, PostgreSQL) is given the same ephemeral port, which happened in
    // CI between choosing a service's port and the service binding it. Above the fixed ports infra/ gives its servers
    // (management 1568N, Erlang distribution 2568N, Sentinels 26391-26393): a node killed by a test keeps its port for its
    // restart. A random start keeps parallel test processes apart.
    private const int FirstPort = 27_000;
    private const int PortCount = 5_700;
    private static int _nextPort = Random.Shared.Next(PortCount);

    /// <summary>A TCP port on loopback that nothing listens on now, outside the range the kernel gives outgoing connections.</summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < PortCount; attempt++)
        {
            var port = FirstPort + (Interlocked.Increment(ref _nextPort) % PortCount);
            try
            {
                using var listener = new TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: the next one.
            }
        }

        throw new InvalidOperationException($"No free TCP port on loopback in {FirstPort}-{FirstPort + PortCount - 1}");
    }
}
