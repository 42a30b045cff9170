namespace Jobs.Contracts;

/// <summary>
/// The root job read model: a Redis hash written by the Integrator (ledger counters and saga status) and
/// read by Reporting. Key and field names are part of the contract between the two.
/// </summary>
public static class JobState
{
    public static string Key(Guid rootJobId) => $"job:{{{rootJobId:N}}}";

    public const string Platform = "platform";
    public const string Status = "status";
    public const string Schedule = "schedule";
    public const string Total = "total";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string StartedAt = "startedAt";
    public const string FinishedAt = "finishedAt";
    public const string Error = "error";
}
