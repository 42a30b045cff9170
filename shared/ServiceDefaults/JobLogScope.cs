using Microsoft.Extensions.Logging;

namespace Jobs.ServiceDefaults;

public static class JobLogScope
{
    /// <summary>A logger scope whose properties every log line of the job carries (console and Seq).</summary>
    public static IDisposable? BeginJobScope(this ILogger logger, Guid rootJobId, Guid? childJobId = null) =>
        childJobId is { } child
            ? logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId, ["ChildJobId"] = child })
            : logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = rootJobId });
}
