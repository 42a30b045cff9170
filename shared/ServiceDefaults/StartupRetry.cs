using Microsoft.Extensions.Logging;

namespace Jobs.ServiceDefaults;

public static class StartupRetry
{
    /// <summary>
    /// Runs a start-up step that needs a dependency which may still be coming up (PostgreSQL, Redis): retries
    /// once a second, logging why, for at most <paramref name="attempts"/> tries.
    /// </summary>
    public static async Task RunAsync(Func<CancellationToken, Task> step, string dependency, ILogger logger, CancellationToken cancellationToken,
        int attempts = 30)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await step(cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt < attempts && ex is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("{Dependency} not reachable yet ({Error}); retrying", dependency, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }
}
