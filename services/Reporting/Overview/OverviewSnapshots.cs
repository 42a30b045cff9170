using System.Security.Claims;
using System.Text.Json;
using Jobs.Auditor.ReadModel;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using Jobs.JobTree;
using Jobs.Reporting.Security;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Reporting.Overview;

/// <summary>
/// Computes the overview: its parts run concurrently, each from its owner (the audit trail, the Integrator's and the Integrations' read
/// models, the broker's management API, the Scheduler); the dependency checks and the schedule list are cached for
/// <see cref="SlowPartsLifetime"/>.
/// </summary>
public sealed class OverviewSnapshots(
    AuditTrailReader audit,
    IConnectionMultiplexer redis,
    RabbitMqManagement management,
    SystemDiagnostics diagnostics,
    IServiceScopeFactory scopes,
    IOptions<ReportingOptions> options,
    TimeProvider time)
{
    /// <summary>How long the dependency checks and the schedule list are reused.</summary>
    public static readonly TimeSpan SlowPartsLifetime = TimeSpan.FromSeconds(10);

    /// <summary>The most running jobs an overview lists.</summary>
    public const int MaxRunning = 100;

    /// <summary>The longest an overview waits for the Scheduler's list of schedules.</summary>
    public static readonly TimeSpan MaxSchedulerWait = TimeSpan.FromSeconds(2);

    private static readonly IReadOnlyList<string> Unfinished = [JobStatus.Running, JobStatus.Pending];

    private readonly TimedCache<DiagnosticsReport> _dependencies = new(SlowPartsLifetime, time);
    private readonly TimedCache<(IReadOnlyList<NextFire> Fires, string? Error)> _schedules = new(SlowPartsLifetime, time);
    private long _computations;

    /// <summary>How many overviews this process has computed (what the stream's producer costs).</summary>
    public long Computations => Interlocked.Read(ref _computations);

    public async Task<OverviewResponse> ComputeAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _computations);
        var at = time.GetUtcNow();
        var running = RunningAsync(cancellationToken);
        var hours = audit.HoursAsync(FirstHour(at), cancellationToken);
        var workers = Workers.ListAsync(redis.GetDatabase());
        var queues = QueuesAsync(workers, cancellationToken);
        var schedules = _schedules.GetAsync(SchedulesAsync, cancellationToken);
        var dependencies = _dependencies.GetAsync(diagnostics.RunAsync, cancellationToken);
        await Task.WhenAll(running, hours, workers, queues, schedules, dependencies);

        var days = Days(await hours, at);
        var (queueViews, queuesError) = await queues;
        var (fires, schedulesError) = await schedules;
        return new OverviewResponse(at, await running, days, FailureRate(days), Math.Round((await workers).Sum(w => w.ChildrenPerSecond), 2), queueViews,
            queuesError, fires, schedulesError, await dependencies);
    }

    /// <summary>(failed + completed with failures) / ended over <paramref name="days"/>; null when none ended.</summary>
    private static double? FailureRate(IReadOnlyList<PlatformDay> days)
    {
        var ended = days.Sum(d => d.Completed + d.CompletedWithFailures + d.Failed + d.Cancelled);
        return ended == 0 ? null : Math.Round((double)days.Sum(d => d.Failed + d.CompletedWithFailures) / ended, 4);
    }

    /// <summary>
    /// The overview as a scoped key (<see cref="KeyScope"/>) sees it: its platforms' running jobs, days, queues (their workers naming
    /// only its platforms) and the schedules it may see, and the failure rate over its days. The throughput of the Integrations processes and
    /// the dependency checks are the system's and stay as they are (they name no job).
    /// </summary>
    public static OverviewResponse Scoped(OverviewResponse overview, ClaimsPrincipal user)
    {
        if (KeyScope.Platforms(user) is null && KeyScope.Schedules(user) is null) return overview;
        bool Allowed(string platform) => KeyScope.Allows(user, platform);
        var days = overview.Last24h.Where(d => Allowed(d.Platform)).ToList();
        return overview with
        {
            Running = [.. overview.Running.Where(j => Allowed(j.Platform))],
            Last24h = days,
            FailureRate = FailureRate(days),
            Queues = [.. overview.Queues.Where(q => Allowed(q.Platform))
                .Select(q => q with { Workers = [.. q.Workers.Select(w => w with { Platforms = [.. w.Platforms.Where(Allowed)] })] })],
            NextFires = [.. overview.NextFires.Where(f => Allowed(f.Platform) && KeyScope.AllowsSchedule(user, f.Schedule))],
        };
    }

    /// <summary>The first of the 24 hours (UTC) an overview counts: the current hour and the 23 before it.</summary>
    public static DateTimeOffset FirstHour(DateTimeOffset at) => Hour(at).AddHours(-23);

    private static DateTimeOffset Hour(DateTimeOffset at) =>
        new(at.UtcDateTime.Year, at.UtcDateTime.Month, at.UtcDateTime.Day, at.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);

    private static List<PlatformDay> Days(IReadOnlyList<AuditedPlatformHour> hours, DateTimeOffset at)
    {
        var first = FirstHour(at);
        return hours.GroupBy(h => h.Platform).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var byHour = g.ToDictionary(h => h.Hour.ToUniversalTime());
            var hourly = Enumerable.Range(0, 24).Select(i => first.AddHours(i)).Select(hour => byHour.TryGetValue(hour, out var h)
                ? new HourCounts(hour, h.Started, h.Completed + h.CompletedWithFailures, h.Failed)
                : new HourCounts(hour, 0, 0, 0)).ToList();
            return new PlatformDay(g.Key, g.Sum(h => h.Started), g.Sum(h => h.Completed), g.Sum(h => h.CompletedWithFailures), g.Sum(h => h.Failed),
                g.Sum(h => h.Cancelled), hourly);
        }).ToList();
    }

    private async Task<IReadOnlyList<RunningJob>> RunningAsync(CancellationToken cancellationToken)
    {
        var audited = await audit.RootJobsInAsync(Unfinished, MaxRunning, cancellationToken);
        var db = redis.GetDatabase();
        var live = await Task.WhenAll(audited.Select(j => RootJobReader.GetAsync(db, j.RootJobId)));
        return audited.Select((j, i) =>
        {
            var view = live[i];
            var counts = view is null ? new ChildCounts(j.Total, j.Completed, j.Failed) : new ChildCounts(view.Total, view.Completed, view.Failed);
            var percent = counts.Total > 0 ? Math.Round(100.0 * (counts.Completed + counts.Failed) / counts.Total, 1) : 0;
            return new RunningJob(j.RootJobId, j.Platform, j.Schedule, view?.Status ?? j.Status, counts, percent, view?.StartedAt ?? j.StartedAt);
        }).ToList();
    }

    private async Task<(IReadOnlyList<QueueView>, string?)> QueuesAsync(Task<IReadOnlyList<WorkerHeartbeat>> workers, CancellationToken cancellationToken)
    {
        try
        {
            using var client = management.Client();
            using var response = await client.GetAsync($"api/queues/{management.VirtualHost}", cancellationToken);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var heartbeats = await workers;
            var prefix = IntegrationQueues.QueueName("");
            return (body.RootElement.EnumerateArray()
                .Select(q => q.GetProperty("name").GetString() ?? "")
                .Zip(body.RootElement.EnumerateArray())
                .Where(q => q.First.StartsWith(prefix, StringComparison.Ordinal))
                .Select(q => new QueueView(q.First, q.First[prefix.Length..], Long(q.Second, "messages"), Long(q.Second, "messages_ready"),
                    Long(q.Second, "messages_unacknowledged"), (int)Long(q.Second, "consumers"), Rate(q.Second, "publish_details"),
                    Rate(q.Second, "ack_details"),
                    heartbeats.Where(w => w.Queues.Contains(q.First)).Select(w => new QueueWorker(w.Id, w.Host, w.Platforms, w.InFlight)).ToList()))
                .OrderBy(q => q.Name, StringComparer.Ordinal)
                .ToList(), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException &&
                                   !cancellationToken.IsCancellationRequested)
        {
            return ([], $"the RabbitMQ management API did not answer: {ex.Message}");
        }
    }

    private static long Long(JsonElement queue, string name) =>
        queue.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    private static double Rate(JsonElement queue, string details) =>
        queue.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(details, out var d) && d.TryGetProperty("rate", out var rate) &&
        rate.ValueKind == JsonValueKind.Number
            ? rate.GetDouble()
            : 0;

    private async Task<(IReadOnlyList<NextFire>, string?)> SchedulesAsync(CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<IRequestClient<ListSchedules>>();
        var wait = options.Value.SchedulerTimeout < MaxSchedulerWait ? options.Value.SchedulerTimeout : MaxSchedulerWait;
        try
        {
            var response = await client.GetResponse<ScheduleList>(new ListSchedules(), cancellationToken, RequestTimeout.After(ms: (int)wait.TotalMilliseconds));
            return (response.Message.Schedules
                .Select(s => new NextFire(s.Schedule.Name, s.Schedule.Platform, s.NextFireAt, s.PreviousFireAt, s.State == "Paused"))
                .OrderBy(f => f.NextFireAt ?? DateTimeOffset.MaxValue).ThenBy(f => f.Schedule, StringComparer.Ordinal)
                .ToList(), null);
        }
        catch (RequestTimeoutException)
        {
            return ([], $"No Scheduler answered on '{IntegrationQueues.SchedulerCommands}' within {wait.TotalSeconds:0.###} s");
        }
    }
}
