using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Jobs.Plugins.Synthetic;

public sealed class SyntheticSettings
{
    [Description("Children the root job fans out")]
    [Range(0, 1_000_000)]
    public int Children { get; set; } = 3;

    [Description("Children each child spawns in turn")]
    [Range(0, 10_000)]
    public int Grandchildren { get; set; }

    [Description("Milliseconds of simulated work per child")]
    [Range(0, 3_600_000)]
    public int WorkMs { get; set; }

    [Description("Share of children (and grandchildren) that fail, chosen deterministically by job id")]
    [Range(0.0, 1.0)]
    public double FailRatio { get; set; }

    [Description("Run a 'summary' continuation once every child and grandchild has finished")]
    public bool Continuation { get; set; }

    [Description("Free text kept with the job and added to the error of each failing child (a label for demos and tests)")]
    public string? Note { get; set; }

    [Description("A token the synthetic source pretends to call its API with; only its SHA-256 fingerprint is ever shown (the entry's 'processed' dataset)")]
    [Jobs.Platforms.Secret]
    public string? ApiToken { get; set; }
}
