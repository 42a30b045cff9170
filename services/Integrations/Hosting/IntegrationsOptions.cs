namespace Jobs.Integrations.Hosting;

/// <summary>Configuration section <c>Integrations</c>.</summary>
public sealed class IntegrationsOptions
{
    /// <summary>Platforms this process hosts (each consumes only its queue); empty = all built-in ones.</summary>
    public List<string> Enabled { get; set; } = [];

    /// <summary>Messages of one integration's queue processed at once by this process.</summary>
    public int ConcurrentMessageLimit { get; set; } = 8;

    public int PrefetchCount { get; set; } = 16;

    /// <summary>Children of one message run in parallel up to this many.</summary>
    public int ParallelChildrenPerMessage { get; set; } = 16;

    /// <summary>
    /// Children spawned by the runs of one message, up to this many in all, are run in that same delivery instead of being
    /// sent to the queue (fewer broker round trips for small spawns); 0 sends every spawn.
    /// </summary>
    public int InlineChildren { get; set; } = 4;

    /// <summary>Runs of a child before it is reported failed.</summary>
    public int MaxAttempts { get; set; } = 1;
}
