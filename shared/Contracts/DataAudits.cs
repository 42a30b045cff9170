namespace Jobs.Contracts;

/// <summary>
/// A figure a job measured about the data it landed (e.g. dataset <c>products</c>, subject a vendor, value the
/// product count after the sync). The Auditor compares it with the same figure from the previous run.
/// </summary>
public record DataMeasurement(string Dataset, string Subject, double Value);

/// <summary>
/// Event: a data audit failed - a measured figure dropped by more than its rule allows since the previous run
/// (<see cref="DropShare"/> = (previous - value) / previous).
/// </summary>
public record DataAuditFailed(
    Guid RootJobId,
    Guid ChildJobId,
    string Platform,
    string Dataset,
    string Subject,
    double PreviousValue,
    double Value,
    double DropShare,
    double MaxDropShare,
    Guid PreviousRootJobId,
    DateTimeOffset MeasuredAt);
