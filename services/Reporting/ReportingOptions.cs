using System.ComponentModel.DataAnnotations;

namespace Jobs.Reporting;

/// <summary>Section <c>Reporting</c>: limits of the HTTP API.</summary>
public sealed class ReportingOptions
{
    public const string Section = "Reporting";
    public const long DefaultMaxRequestBytes = 1 << 20;

    /// <summary>Bodies over this many bytes are refused (413).</summary>
    [Range(typeof(long), "1", "1099511627776", ErrorMessage = Section + ":" + nameof(MaxRequestBytes) + ": must be between {1} and {2}")]
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>How long a schedule call waits for the Scheduler's answer before it is answered 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = Section + ":" + nameof(SchedulerTimeout) + ": must be between {1} and {2}")]
    public TimeSpan SchedulerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often <c>GET /overview/stream</c> sends a new overview (one computation for every open stream).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = Section + ":" + nameof(OverviewRefresh) + ": must be between {1} and {2}")]
    public TimeSpan OverviewRefresh { get; set; } = TimeSpan.FromSeconds(2);
}
