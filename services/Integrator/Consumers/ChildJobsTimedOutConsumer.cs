using Jobs.JobTree;
using System.Text.Json;
using Jobs.Contracts;
using Jobs.Integrations.ReadModel;
using Jobs.Integrator.ReadModel;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Jobs.Integrator.Consumers;

/// <summary>What happens to a child that timed out (<c>Integrator:ChildTimeouts</c>): <c>fail</c> it, or <c>retry</c> it up to <see cref="MaxRetries"/> times.</summary>
public sealed class ChildTimeoutPolicy
{
    public const string Fail = "fail";
    public const string Retry = "retry";

    [System.ComponentModel.DataAnnotations.AllowedValues(Fail, Retry)]
    public string Policy { get; set; } = Fail;

    [System.ComponentModel.DataAnnotations.Range(0, 100)]
    public int MaxRetries { get; set; } = 1;
}

/// <summary><c>Integrator:ChildTimeouts</c>: a default policy and overrides per platform.</summary>
public sealed class ChildTimeoutOptions
{
    public const string Section = "Integrator:ChildTimeouts";

    public ChildTimeoutPolicy Default { get; set; } = new();

    public Dictionary<string, ChildTimeoutPolicy> Platforms { get; set; } = [];

    public ChildTimeoutPolicy For(string platform) => Platforms.GetValueOrDefault(platform) ?? Default;

    /// <summary>What is wrong with the default policy and each platform's (nested objects are not validated by annotations alone).</summary>
    public IEnumerable<string> Problems() =>
        Platforms.Select(p => (Name: $"{Section}:Platforms:{p.Key}", Policy: p.Value))
            .Prepend((Name: $"{Section}:Default", Policy: Default))
            .SelectMany(p =>
            {
                var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
                System.ComponentModel.DataAnnotations.Validator.TryValidateObject(p.Policy, new(p.Policy), results, validateAllProperties: true);
                return results.Select(r => $"{p.Name}: {r.ErrorMessage}");
            });
}

/// <summary>
/// Handles children that timed out. Under the <c>retry</c> policy a child whose definition the Integrations recorded
/// as running is sent again to its platform's queue (same child id: whichever run reports first counts, the other
/// is a duplicate), up to the policy's retries; every other one is closed as failed (<see cref="ChildJobsClosed"/>), which the
/// ledger counts like any outcome (once) and the Auditor records.
/// </summary>
public sealed class ChildJobsTimedOutConsumer(IConnectionMultiplexer redis, IOptions<ChildTimeoutOptions> options, ILogger<ChildJobsTimedOutConsumer> logger)
    : IConsumer<ChildJobsTimedOut>
{
    public const string TimedOutTask = "timed-out";

    public async Task Consume(ConsumeContext<ChildJobsTimedOut> context)
    {
        var message = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RootJobId"] = message.RootJobId });
        var policy = options.Value.For(message.Platform);
        var (resend, fail) = policy.Policy == ChildTimeoutPolicy.Retry
            ? await RetriableAsync(message, policy.MaxRetries)
            : ([], message.Children.ToList());

        if (resend.Count > 0)
        {
            logger.LogWarning("{Count} children timed out ({Reason}); sending them again (retry policy, at most {MaxRetries} times)",
                resend.Count, message.Reason, policy.MaxRetries);
            var endpoint = await context.GetSendEndpoint(IntegrationQueues.For(message.Platform));
            foreach (var chunk in resend.Chunk(JobLimits.MaxChildrenPerMessage))
                await endpoint.Send(new RunChildJobs(message.RootJobId, message.Platform, chunk));
        }

        if (fail.Count == 0) return;
        logger.LogWarning("{Count} children timed out and are failed: {Reason}", fail.Count, message.Reason);
        var now = DateTimeOffset.UtcNow;
        foreach (var chunk in fail.Chunk(JobLimits.MaxChildrenPerMessage))
        {
            var outcomes = chunk.Select(c => new ChildJobOutcome(c.ChildJobId, c.ParentJobId, c.GroupId, c.Generation, TimedOutTask, false,
                $"timed out: {message.Reason}", 0, null, 0, now, now)).ToList();
            await context.Publish(new ChildJobsClosed(message.RootJobId, message.Platform, outcomes));
        }
    }

    /// <summary>Splits the timed-out children into those to send again (recorded as running, retries left) and those to fail.</summary>
    private async Task<(List<ChildJob> Resend, List<TimedOutChild> Fail)> RetriableAsync(ChildJobsTimedOut message, int maxRetries)
    {
        var db = redis.GetDatabase();
        var definitions = await Runs.RunningAsync(db, message.RootJobId, message.Children.Select(c => c.ChildJobId).ToList());
        var retriesKey = RootJobKeys.TimeoutRetriesKey(message.RootJobId);
        // Count a retry for every child that has a definition to send again (the commands go out pipelined).
        var retries = await Task.WhenAll(message.Children.Select((c, i) =>
            definitions[i] is null ? Task.FromResult(0L) : db.HashIncrementAsync(retriesKey, c.ChildJobId.ToString("N"))));
        var (resend, fail) = (new List<ChildJob>(), new List<TimedOutChild>());
        for (var i = 0; i < message.Children.Count; i++)
        {
            if (definitions[i] is not { } definition || retries[i] > maxRetries) fail.Add(message.Children[i]);
            else resend.Add(definition);
        }

        if (resend.Count > 0) await db.KeyExpireAsync(retriesKey, RootJobKeys.DetailsLifetime);
        return (resend, fail);
    }
}
