using Jobs.Contracts;
using Jobs.Platforms;
using Prometheus;
using StackExchange.Redis;

namespace Jobs.Integrator.Ledger;

/// <summary>
/// The root job metrics of the Integrator. The counters count in the process that did the work (exactly once per root or
/// child: the ledger says when), so a sum over every Integrator's series is the platform's figure. The gauges are computed
/// from Redis (<see cref="RunningRoots"/>) on every scrape: every Integrator reports the same whole-platform value, so
/// dashboards take their <c>max</c>.
/// </summary>
public static class JobMetrics
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    private static readonly string[] EndStatuses = [JobStatus.Completed, JobStatus.CompletedWithFailures, JobStatus.Failed, JobStatus.Cancelled];

    public static readonly Counter RootsStarted = Metrics.CreateCounter("integrator_root_jobs_started_total",
        "Root jobs started (registered in the ledger)", "platform");

    public static readonly Counter RootsEnded = Metrics.CreateCounter("integrator_root_jobs_ended_total",
        "Root jobs that reached a final status (Completed, CompletedWithFailures, Failed, Cancelled)", "platform", "status");

    public static readonly Counter ChildrenCounted = Metrics.CreateCounter("integrator_child_jobs_counted_total",
        "Child jobs whose outcome the ledger counted (once each, redeliveries excluded), by outcome (succeeded, failed)", "platform", "outcome");

    public static readonly Histogram RootDuration = Metrics.CreateHistogram("integrator_root_job_duration_seconds",
        "Time from a root job's start to its final status", new HistogramConfiguration
        {
            LabelNames = ["platform", "status"],
            Buckets = Histogram.ExponentialBuckets(0.05, 2, 18),
        });

    public static readonly Gauge RootsRunning = Metrics.CreateGauge("integrator_root_jobs_running",
        "Root jobs running now, from the running-roots index in Redis (the same value on every Integrator)", "platform");

    public static readonly Gauge ChildrenOutstanding = Metrics.CreateGauge("integrator_child_jobs_outstanding",
        "Children of running roots registered and not yet counted, from Redis (the same value on every Integrator)", "platform");

    public static readonly Gauge MaxIdle = Metrics.CreateGauge("integrator_root_job_max_idle_seconds",
        "Longest time a running root of the platform has gone without a counted outcome or reported progress (0: none running)", "platform");

    public static readonly Counter RefreshFailures = Metrics.CreateCounter("integrator_job_metrics_refresh_failures_total",
        "Scrapes whose running-root gauges could not be read from Redis (they kept their previous values)");

    public static void Started(string platform) => RootsStarted.WithLabels(platform).Inc();

    public static void Counted(string platform, long succeeded, long failed)
    {
        if (succeeded > 0) ChildrenCounted.WithLabels(platform, Succeeded).Inc(succeeded);
        if (failed > 0) ChildrenCounted.WithLabels(platform, Failed).Inc(failed);
    }

    public static void Ended(string platform, string status, DateTimeOffset startedAt, DateTimeOffset? finishedAt)
    {
        RootsEnded.WithLabels(platform, status).Inc();
        if (finishedAt is { } end && end >= startedAt) RootDuration.WithLabels(platform, status).Observe((end - startedAt).TotalSeconds);
    }

    /// <summary>Sets the gauges from <paramref name="running"/>: every platform of <paramref name="platforms"/> gets a value (0 when nothing of it runs).</summary>
    public static void SetGauges(IReadOnlyList<RunningRoot> running, IEnumerable<string> platforms, DateTimeOffset now)
    {
        var names = new HashSet<string>(platforms, StringComparer.Ordinal);
        names.UnionWith(running.Select(r => r.Platform));
        names.UnionWith(RootsRunning.GetAllLabelValues().Select(l => l[0]));
        foreach (var platform in names)
        {
            // Every platform's counters exist from the first scrape on (at 0), so rates and increase() see their first event.
            RootsStarted.WithLabels(platform);
            foreach (var status in EndStatuses) RootsEnded.WithLabels(platform, status);
            ChildrenCounted.WithLabels(platform, Succeeded);
            ChildrenCounted.WithLabels(platform, Failed);
            var roots = running.Where(r => r.Platform == platform).ToList();
            RootsRunning.WithLabels(platform).Set(roots.Count);
            ChildrenOutstanding.WithLabels(platform).Set(roots.Sum(r => r.Outstanding));
            MaxIdle.WithLabels(platform).Set(roots.Count == 0 ? 0 : Math.Max(0, roots.Max(r => (now - r.LastProgressAt).TotalSeconds)));
        }
    }
}

/// <summary>Refreshes the running-root gauges from Redis before every scrape (bounded by a timeout; a failure keeps the previous values).</summary>
public sealed class JobGaugesRefresher(RunningRoots running, PlatformCatalog catalog, ILogger<JobGaugesRefresher> logger) : IHostedService
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Metrics.DefaultRegistry.AddBeforeCollectCallback(RefreshAsync);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var roots = running.ListAsync();
            var platforms = PlatformsAsync();
            var read = Task.WhenAll(roots, platforms);
            if (await Task.WhenAny(read, Task.Delay(Timeout, cancellationToken)) != read) throw new TimeoutException($"Redis did not answer within {Timeout}");
            JobMetrics.SetGauges(await roots, await platforms, DateTimeOffset.UtcNow);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            JobMetrics.RefreshFailures.Inc();
            logger.LogWarning(ex, "The running-root gauges could not be refreshed: {Error}", ex.Message);
        }
    }

    private async Task<IReadOnlyList<string>> PlatformsAsync() => (await catalog.ListAsync()).Select(p => p.Name).ToList();
}
