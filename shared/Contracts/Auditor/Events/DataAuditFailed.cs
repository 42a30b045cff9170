namespace Jobs.Contracts;

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
