using System.ComponentModel.DataAnnotations;

namespace Jobs.Integrations.Hosting;

/// <summary>Configuration section <c>Integrations</c>.</summary>
public sealed class IntegrationsOptions
{
    public const string Section = "Integrations";

    /// <summary>Platforms this process hosts (each consumes only its queue); empty = all built-in ones.</summary>
    public List<string> Enabled { get; set; } = [];

    /// <summary>Messages of one integration's queue processed at once by this process.</summary>
    public int ConcurrentMessageLimit { get; set; } = 8;

    public int PrefetchCount { get; set; } = 16;

    /// <summary>
    /// Messages of one integration's interactive queue (<c>integration-&lt;name&gt;.interactive</c>: entry runs, hooks, continuations,
    /// small spawns) processed at once by this process, besides <see cref="ConcurrentMessageLimit"/>; as many are prefetched.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Integrations:InteractiveConcurrentMessageLimit must be 1 to 1000")]
    public int InteractiveConcurrentMessageLimit { get; set; } = 4;

    /// <summary>
    /// A run taken from the interactive queue that spawns at most this many children sends them to the interactive queue too (a small
    /// job stays interactive from its entry to its end); a bigger spawn goes to the bulk queue, with everything it spawns in turn.
    /// </summary>
    [Range(0, 100_000, ErrorMessage = "Integrations:InteractiveSpawnLimit must be 0 to 100000")]
    public int InteractiveSpawnLimit { get; set; } = 100;

    /// <summary>Children of one message run in parallel up to this many.</summary>
    public int ParallelChildrenPerMessage { get; set; } = 16;

    /// <summary>
    /// Children spawned by the runs of one message, up to this many in all, are run in that same delivery instead of being
    /// sent to the queue (fewer broker round trips for small spawns); 0 sends every spawn.
    /// </summary>
    public int InlineChildren { get; set; } = 4;

    /// <summary>Runs of a child before it is reported failed.</summary>
    public int MaxAttempts { get; set; } = 1;

    /// <summary>
    /// Time one run of a child may take: then its cancellation fires, and a run that has not returned <see cref="AbandonGrace"/>
    /// later is abandoned (reported failed, its slot freed). Below the Auditor's child timeout, so the worker names the reason first.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.0000001", "10675199.02:48:05.4775807", ErrorMessage = "Integrations:ChildDeadline must be positive")]
    public TimeSpan ChildDeadline { get; set; } = TimeSpan.FromMinutes(50);

    /// <summary><see cref="ChildDeadline"/> per integration name (such as hours for <c>movies</c>, whose downloads are long).</summary>
    public Dictionary<string, TimeSpan> Deadlines { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a cancelled run (deadline, cancelled root, stopping host) may take to return before it is abandoned.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "10675199.02:48:05.4775807", ErrorMessage = "Integrations:AbandonGrace must not be negative")]
    public TimeSpan AbandonGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deliveries of one batch that may start without finishing (the process running it died or hung) before the next one fails
    /// its children instead of running them: a poison batch must not crash-loop the queue.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "Integrations:MaxBatchStarts must be at least 1")]
    public int MaxBatchStarts { get; set; } = 3;

    public TimeSpan DeadlineOf(string integration) => Deadlines.TryGetValue(integration, out var deadline) ? deadline : ChildDeadline;

    /// <summary>What the attributes cannot say (checked at start): every deadline per integration must be positive.</summary>
    public IEnumerable<string> Problems() =>
        Deadlines.Where(d => d.Value <= TimeSpan.Zero).Select(d => $"Integrations:Deadlines:{d.Key} must be positive");
}
