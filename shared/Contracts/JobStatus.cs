namespace Jobs.Contracts;

/// <summary>Root job states as stored in the read model and returned by the API.</summary>
public static class JobStatus
{
    /// <summary>Accepted by the API; the Integrator has not started it yet.</summary>
    public const string Pending = "Pending";

    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";

    /// <summary>Whether a job in <paramref name="status"/> has ended (nothing of it runs any more).</summary>
    public static bool HasEnded(string? status) => status is Completed or Failed or Cancelled;
}
