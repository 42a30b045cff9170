using System.Text.Json;
using MassTransit;

namespace Jobs.Integrator.RootJobs;

/// <summary>
/// The saga instance of one root job. It stays small whatever the number of children: per-child detail
/// and the counters live in the job ledger, outside the instance.
/// </summary>
public class RootJobState : SagaStateMachineInstance, ISagaVersion
{
    public Guid CorrelationId { get; set; }

    public int Version { get; set; }

    public string CurrentState { get; set; } = "";

    public string Platform { get; set; } = "";

    public JsonElement Settings { get; set; }

    public string? Schedule { get; set; }

    /// <summary>The job whose failed children this one re-runs, if any.</summary>
    public Guid? RetryOf { get; set; }

    public double MinSuccessPercent { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public long Total { get; set; }

    public long Completed { get; set; }

    public long Failed { get; set; }

    public string? Reason { get; set; }

    /// <summary>While the post hooks run (state PostHooks): the status the root ends in once they have (its counts are final).</summary>
    public string? Outcome { get; set; }

    /// <summary>The error of the first post hook that failed: the root keeps its status and counts, marked with it.</summary>
    public string? HookError { get; set; }

    /// <summary>
    /// Whether the root ended because every descendant had finished (its counts are final); false when it ended before
    /// (cancelled, or failed at once by a failed required task): then the ledger keeps counting what still reports.
    /// </summary>
    public bool AllChildrenFinished { get; set; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the span that began the root (its trace is the root job's): work on the root that arrives from
    /// another trace (a cancellation, a repair) starts its span there, so the root stays one trace.
    /// </summary>
    public string? TraceParent { get; set; }
}
