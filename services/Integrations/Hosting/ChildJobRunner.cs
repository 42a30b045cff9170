using Jobs.Contracts;
using Jobs.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Jobs.Integrations.Hosting;

/// <summary>Runs one child job through its plugin, with retries, and sends the children it spawned.</summary>
public sealed class ChildJobRunner(
    IntegrationRegistry registry,
    IConnectionMultiplexer redis,
    NpgsqlDataSource postgres,
    IOptions<IntegrationsOptions> options,
    ILogger<ChildJobRunner> logger)
{
    public async Task<ChildJobOutcome> RunAsync(Guid rootJobId, string platform, ChildJob job, ISendEndpointProvider sender,
        CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        using var scope = logger.BeginJobScope(rootJobId, job.ChildJobId);
        ChildJobOutcome Outcome(bool ok, string? error, int attempts, int spawned = 0, ContinuationJob? continuation = null) =>
            new(job.ChildJobId, job.ParentJobId, job.GroupId, job.Generation, job.Task, ok, error, spawned, continuation, attempts, startedAt,
                DateTimeOffset.UtcNow);

        var integration = registry.Find(platform);
        if (integration is null)
        {
            logger.LogError("Platform {Platform} is not hosted by this process; failing child", platform);
            return Outcome(false, $"platform '{platform}' is not hosted by this Integrations process", 0);
        }

        var maxAttempts = Math.Max(1, options.Value.MaxAttempts);
        for (var attempt = 1; ; attempt++)
        {
            var context = new JobContext(rootJobId, job, redis, postgres, logger, cancellationToken);
            try
            {
                await integration.RunAsync(context);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (attempt < maxAttempts)
            {
                logger.LogWarning(ex, "Task {Task} failed on attempt {Attempt} of {MaxAttempts}; retrying", job.Task, attempt, maxAttempts);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt - 1)), cancellationToken);
                continue;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Task {Task} failed after {Attempts} attempt(s): {Error}", job.Task, attempt, ex.Message);
                return Outcome(false, $"{ex.GetType().Name}: {ex.Message}", attempt);
            }

            await SendChildrenAsync(rootJobId, platform, job, context, sender);
            return Outcome(true, null, attempt, context.Children.Count, context.Continuation);
        }
    }

    private static async Task SendChildrenAsync(Guid rootJobId, string platform, ChildJob parent, JobContext context, ISendEndpointProvider sender)
    {
        if (context.Children.Count == 0) return;
        // Children of a job with a continuation form their own group; otherwise they join the parent's.
        var group = context.Continuation is null ? parent.GroupId : parent.ChildJobId;
        var endpoint = await sender.GetSendEndpoint(IntegrationQueues.For(platform));
        var sends = new List<Task>();
        for (var start = 0; start < context.Children.Count; start += JobLimits.MaxChildrenPerMessage)
        {
            var batch = new List<ChildJob>(Math.Min(JobLimits.MaxChildrenPerMessage, context.Children.Count - start));
            for (var i = start; i < Math.Min(start + JobLimits.MaxChildrenPerMessage, context.Children.Count); i++)
            {
                var (task, settings) = context.Children[i];
                batch.Add(new ChildJob(JobIds.Child(parent.ChildJobId, i), parent.ChildJobId, group, parent.Generation + 1, task, settings));
            }

            sends.Add(endpoint.Send(new RunChildJobs(rootJobId, platform, batch)));
        }

        await Task.WhenAll(sends);
    }
}
