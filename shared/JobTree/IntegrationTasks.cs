namespace Jobs.JobTree;

public static class IntegrationTasks
{
    /// <summary>The task name of a root job's entry run (generation 0), which fans out the first children.</summary>
    public const string Entry = "entry";

    /// <summary>
    /// The entry task of a root job started by <c>POST /jobs/{id}/retry-failed</c>: settings <c>{"retry_of": id}</c>;
    /// the Integrations spawn the failed children recorded for that job (the Integrations' record of failed children) again.
    /// </summary>
    public const string RetryFailed = "retry-failed";
}
