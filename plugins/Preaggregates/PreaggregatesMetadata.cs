namespace Jobs.Plugins.Preaggregates;

/// <summary>
/// The document the <c>preaggregates</c> integration writes to <see cref="PreaggregatesKeys.Document"/> after every run:
/// each source's state and the synchronized time across them.
/// </summary>
/// <param name="DownPolicy"><c>block</c>: a source that cannot be read holds the synchronized time at its last known value;
/// <c>exclude</c>: it is left out of the synchronized time.</param>
public sealed record PreaggregatesMetadata(
    string View,
    DateTimeOffset ComputedAt,
    string DownPolicy,
    PreaggregatesSynchronized Synchronized,
    IReadOnlyList<PreaggregatesSource> Sources);
