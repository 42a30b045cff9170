namespace Jobs.Contracts;

/// <summary>Root job states as stored in the read model and returned by the API.</summary>
public static class JobStatus
{
    /// <summary>Accepted by the API; the Integrator has not started it yet.</summary>
    public const string Pending = "Pending";

    public const string Running = "Running";

    /// <summary>Every child succeeded.</summary>
    public const string Completed = "Completed";

    /// <summary>
    /// Every child finished and the job's failure policy accepted the ones that failed (policy <c>continue</c>, or at least
    /// <c>minSuccessPercent</c> succeeded): the counts say how many. Never used when a required task failed (that is <see cref="Failed"/>).
    /// </summary>
    public const string CompletedWithFailures = "CompletedWithFailures";

    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";

    /// <summary>The states a root job ends in.</summary>
    public static readonly IReadOnlyList<string> Final = [Completed, CompletedWithFailures, Failed, Cancelled];

    /// <summary>Every state a root job can be in.</summary>
    public static readonly IReadOnlyList<string> All = [Pending, Running, .. Final];

    /// <summary>Whether a job in <paramref name="status"/> has ended (nothing of it runs any more).</summary>
    public static bool HasEnded(string? status) => status is Completed or CompletedWithFailures or Failed or Cancelled;
}
