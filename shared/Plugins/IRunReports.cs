namespace Jobs.Plugins;

/// <summary>
/// Where <see cref="JobContext.ReportProgressAsync"/> and <see cref="JobContext.StoreDatasetAsync"/> land: the Integrations host
/// writes them into the job's state (its progress and datasets keys), in one place of its own, so a plugin never writes
/// another service's keys itself. Arguments are checked by <see cref="JobContext"/> before they get here.
/// </summary>
public interface IRunReports
{
    /// <summary>This run's progress: <paramref name="percent"/> of it, a message, and the rows it has processed so far (its latest figure counts).</summary>
    Task ReportProgressAsync(Guid rootJobId, Guid jobId, double percent, string message, long rows, DateTimeOffset at);

    /// <summary>Keeps a dataset of this run for debugging, as JSON (at most <see cref="JobContext.MaxDatasetBytes"/>).</summary>
    Task StoreDatasetAsync(Guid rootJobId, Guid jobId, string name, byte[] json);
}
