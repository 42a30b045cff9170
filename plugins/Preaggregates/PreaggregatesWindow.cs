namespace Jobs.Plugins.Preaggregates;

/// <summary>A time range whose data is complete: from <see cref="From"/> (inclusive) until <see cref="Until"/> (exclusive).</summary>
public sealed record PreaggregatesWindow(DateTimeOffset From, DateTimeOffset Until);
