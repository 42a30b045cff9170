namespace Jobs.JobTree;

public static class JobLimits
{
    /// <summary>Upper bound of children in one <see cref="RunChildJobs"/> or outcomes in one <see cref="ChildJobsFinished"/>.</summary>
    public const int MaxChildrenPerMessage = 100;
}
