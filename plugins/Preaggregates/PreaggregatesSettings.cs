using System.ComponentModel;

namespace Jobs.Plugins.Preaggregates;

/// <summary>What a run of <c>preaggregates</c> computes. The sources themselves are service configuration.</summary>
public sealed class PreaggregatesSettings
{
    [Description("Configured sources to count (names in Preaggregates:Sources); empty means every configured source")]
    public List<string> Sources { get; set; } = [];

    [Description("What a source that cannot be read does: block holds the synchronized time at its last known value, exclude leaves it out; unset means the service default (Preaggregates:DownPolicy)")]
    public DownSourcePolicy? DownPolicy { get; set; }

    [Description("Name the result is published under (Redis keys preaggregates:<view>:...); a subset of the sources needs a view of its own")]
    public string View { get; set; } = PreaggregatesKeys.DefaultView;
}

public enum DownSourcePolicy
{
    /// <summary>A source that cannot be read keeps its last known values and holds the synchronized time there.</summary>
    Block,

    /// <summary>A source that cannot be read is left out of the synchronized time.</summary>
    Exclude,
}
