using System.Diagnostics;
using Jobs.TestSupport;

namespace Jobs.Faults.Tests;

/// <summary>
/// Outages of the real servers that <c>infra/start.sh</c> runs on this machine: RabbitMQ's application stopped or its VM
/// killed, Redis killed, PostgreSQL stopped. Each is undone with the same scripts <c>make run</c> and CI start them with.
/// Needs root, as those scripts do.
/// </summary>
public static class Servers
{
    public static Task StopRabbitMqAppAsync() => RunAsync("rabbitmqctl", "-q -n rabbit@localhost stop_app");

    public static async Task StartRabbitMqAppAsync()
    {
        await RunAsync("rabbitmqctl", "-q -n rabbit@localhost start_app");
        await WaitForRabbitMqAsync();
    }

    /// <summary>kill -9 of the broker's Erlang VM (every connection drops, nothing is flushed).</summary>
    public static async Task KillRabbitMqAsync()
    {
        await RunAsync("pkill", "-9 -u rabbitmq -f beam.smp");
        await WaitUntilAsync(async () => (await TryRunAsync("pgrep", "-u rabbitmq -f beam.smp")).ExitCode != 0, "the broker's VM to exit");
    }

    public static async Task StartRabbitMqAsync()
    {
        await StartScriptAsync("rabbitmq");
        await WaitForRabbitMqAsync();
    }

    /// <summary>kill -9 of redis-server: what it had not yet appended to its AOF (appendfsync everysec) is lost.</summary>
    public static async Task KillRedisAsync()
    {
        await RunAsync("pkill", "-9 -x redis-server");
        await WaitUntilAsync(async () => (await TryRunAsync("pgrep", "-x redis-server")).ExitCode != 0, "redis-server to exit");
    }

    public static Task StartRedisAsync() => StartScriptAsync("redis");

    /// <summary>A fast shutdown: every session is terminated, the server stops.</summary>
    public static async Task StopPostgresAsync()
    {
        var cluster = (await RunAsync("pg_lsclusters", "-h")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(f => f[1] == "main");
        await RunAsync("pg_ctlcluster", $"{cluster[0]} main stop -m fast");
    }

    public static Task StartPostgresAsync() => StartScriptAsync("postgres");

    /// <summary>kill -9 of node <paramref name="node"/> (1-3) of the loopback cluster <c>infra/cluster.sh</c> runs.</summary>
    public static Task KillClusterNodeAsync(int node) => ClusterScriptAsync($"kill {node}");

    /// <summary>Starts node <paramref name="node"/> of the loopback cluster again on its data, and waits until it answers.</summary>
    public static Task StartClusterNodeAsync(int node) => ClusterScriptAsync($"start {node}");

    private static Task ClusterScriptAsync(string arguments) =>
        RunAsync("bash", $"{Path.Combine(ServiceSystem.RepositoryRoot(), "infra", "cluster.sh")} {arguments}", TimeSpan.FromMinutes(4));

    private static Task StartScriptAsync(string server) =>
        RunAsync("bash", $"{Path.Combine(ServiceSystem.RepositoryRoot(), "infra", "start.sh")} {server}", TimeSpan.FromMinutes(4));

    private static async Task WaitForRabbitMqAsync()
    {
        var broker = await Infrastructure.RabbitMqAsync();
        using var management = Infrastructure.Management(broker);
        await WaitUntilAsync(async () =>
        {
            try
            {
                return (await management.GetAsync("api/health/checks/virtual-hosts")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, "RabbitMQ's management API and virtual hosts");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!await done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited 3 minutes for {what}");
            await Task.Delay(250);
        }
    }

    private static async Task<string> RunAsync(string file, string arguments, TimeSpan? timeout = null)
    {
        var (exitCode, output) = await TryRunAsync(file, arguments, timeout);
        return exitCode == 0 ? output : throw new InvalidOperationException($"`{file} {arguments}` exited with {exitCode}:\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string file, string arguments, TimeSpan? timeout = null)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cancel.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
