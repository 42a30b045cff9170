using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Jobs.Reporting.Tests;

/// <summary>
/// The shape of the synthetic platform's settings, declared here because Reporting (and so its tests) must not
/// reference the Integrations host. Published under a test-only platform name.
/// </summary>
public sealed class TestPlatformSettings
{
    [Description("Children the root job fans out")]
    [Range(0, 1_000_000)]
    public int Children { get; set; } = 3;

    [Range(0, 10_000)]
    public int Grandchildren { get; set; }

    [Range(0, 3_600_000)]
    public int WorkMs { get; set; }

    [Range(0.0, 1.0)]
    public double FailRatio { get; set; }

    public bool Continuation { get; set; }

    [Description("Collect data published since this day (ISO date or relative: today, yesterday, N days ago)")]
    public DateOnly? Since { get; set; }

    [Description("Token for the source's API")]
    [Jobs.Platforms.Secret]
    public string? ApiToken { get; set; }

    [Description("Rules whose patterns (regular expressions from the job) pick what to keep")]
    [Jobs.Platforms.RegularExpressions("rules[].pattern")]
    public System.Text.Json.JsonElement? Filter { get; set; }
}

/// <summary>The settings of the fixture's test hook: one required number with a range.</summary>
public sealed class TestHookSettings
{
    [Required, Range(1, 60)]
    public int Minutes { get; set; }

    public string Mode { get; set; } = "strict";
}
