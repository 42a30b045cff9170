using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>
/// Command to the Integrator's RootJob saga (queue <c>root-job-state</c>): begin a root job whose request was validated where
/// it entered (<c>POST /jobs</c> in Reporting, the <c>jobs.start</c> endpoint in the Integrator). The saga starts the root
/// and publishes <see cref="RootJobStarted"/>. <see cref="RetryOf"/> names the job whose failed children this one re-runs.
/// </summary>
public record BeginRootJob(
    Guid RootJobId,
    string Platform,
    JsonElement Settings,
    string? Schedule,
    double MinSuccessPercent,
    DateTimeOffset StartedAt,
    Guid? RetryOf = null);
