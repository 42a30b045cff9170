namespace Jobs.Contracts;

/// <summary>
/// A figure a job measured about the data it landed (e.g. dataset <c>products</c>, subject a vendor, value the
/// product count after the sync). The Auditor compares it with the same figure from the previous run.
/// </summary>
public record DataMeasurement(string Dataset, string Subject, double Value);
