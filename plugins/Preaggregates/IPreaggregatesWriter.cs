using Jobs.Contracts;

namespace Jobs.Plugins.Preaggregates;

/// <summary>Where the computed metadata goes for the reporting side (Redis now).</summary>
internal interface IPreaggregatesWriter
{
    /// <summary>What was last published for <paramref name="view"/>: the last known values of sources that cannot be read now.</summary>
    Task<PreaggregatesMetadata?> LastAsync(string view, CancellationToken cancellationToken);

    /// <summary>Publishes the metadata; false (nothing written) when a computation newer than it was published meanwhile.</summary>
    Task<bool> PublishAsync(PreaggregatesMetadata metadata, CancellationToken cancellationToken);
}
