namespace Jobs.Plugins.Preaggregates;

/// <summary>The states of a source in <see cref="PreaggregatesSource.Status"/>.</summary>
public static class PreaggregatesStatus
{
    /// <summary>Read now.</summary>
    public const string Ok = "ok";

    /// <summary>Cannot be read now; the values are the last ones read.</summary>
    public const string Stale = "stale";

    /// <summary>Cannot be read now and was never read.</summary>
    public const string Down = "down";
}
