namespace Jobs.Contracts;

public static class IntegrationTasks
{
    /// <summary>The task name of a root job's entry run (generation 0), which fans out the first children.</summary>
    public const string Entry = "entry";
}
