using System.Collections.Concurrent;
using Jobs.Integrations.Hosting;
using Jobs.Plugins;

namespace Jobs.Integrations.Tests;

public sealed class EmptySettings;

/// <summary>
/// Fails the first <see cref="FailuresBeforeSuccess"/> runs of each job, spawning a child named after the attempt
/// every time, and measuring the attempt number, so a test can tell which attempt's children and figures were sent.
/// </summary>
public sealed class FlakyIntegration(int failuresBeforeSuccess) : Integration<EmptySettings>
{
    public const string Platform = "flaky";

    private readonly ConcurrentDictionary<Guid, int> _runs = new();

    public int FailuresBeforeSuccess { get; } = failuresBeforeSuccess;

    public override string Name => Platform;

    public override IReadOnlyList<string> Tasks => [Jobs.JobTree.IntegrationTasks.Entry];

    public override string DisplayName => "Flaky";

    public override string Description => "Fails a given number of times, then succeeds.";

    public int RunsOf(Guid jobId) => _runs.GetValueOrDefault(jobId);

    public override Task RunAsync(JobContext context)
    {
        var run = _runs.AddOrUpdate(context.JobId, 1, (_, n) => n + 1);
        context.SpawnChild($"from-attempt-{run}");
        context.Measure("attempts", "flaky", run);
        if (run <= FailuresBeforeSuccess) throw new InvalidOperationException($"flaky failure {run} of {FailuresBeforeSuccess}");
        return Task.CompletedTask;
    }
}

/// <summary>Uses the stores a <see cref="JobContext"/> hands a plugin: reports progress to Redis and asks PostgreSQL its database.</summary>
public sealed class ProbeIntegration : Integration<EmptySettings>
{
    public const string Platform = "probe";

    public override string Name => Platform;

    public override IReadOnlyList<string> Tasks => [Jobs.JobTree.IntegrationTasks.Entry];

    public override string DisplayName => "Probe";

    public override string Description => "Touches Redis and PostgreSQL through the job context.";

    public ConcurrentDictionary<Guid, string> DatabaseSeen { get; } = new();

    public override async Task RunAsync(JobContext context)
    {
        await using var command = context.Postgres.CreateCommand("SELECT current_database()");
        DatabaseSeen[context.JobId] = (string)(await command.ExecuteScalarAsync(context.CancellationToken))!;
        await context.ReportProgressAsync(50, "halfway");
    }
}

/// <summary>A platform whose <c>write</c> task is required and always fails; its <c>read</c> tasks succeed and are counted.</summary>
public sealed class RequiredWriteIntegration : Integration<EmptySettings>
{
    public const string Platform = "required-write";
    public const string Write = "write";
    public const string Read = "read";

    private int _reads;

    public override string Name => Platform;

    public override IReadOnlyList<string> Tasks => [Jobs.JobTree.IntegrationTasks.Entry];

    public override string DisplayName => "Required write";

    public override string Description => "Fails its required write step.";

    public override IReadOnlyList<string> RequiredTasks => [Write];

    public int Reads => _reads;

    public override Task RunAsync(JobContext context)
    {
        if (context.Task == Write) throw new InvalidOperationException("the write step failed");
        Interlocked.Increment(ref _reads);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Task <c>hold</c> blocks its thread until <see cref="Release"/>, ignoring its cancellation token (as a plugin stuck in a
/// synchronous call does); any other task returns at once.
/// </summary>
public sealed class StubbornIntegration : Integration<EmptySettings>, IDisposable
{
    public const string Platform = "stubborn";
    public const string Hold = "hold";

    private readonly ManualResetEventSlim _released = new();

    public override string Name => Platform;

    public override IReadOnlyList<string> Tasks => [Jobs.JobTree.IntegrationTasks.Entry];

    public override string DisplayName => "Stubborn";

    public override string Description => "Ignores cancellation until released.";

    public void Release() => _released.Set();

    public override Task RunAsync(JobContext context)
    {
        if (context.Task == Hold) _released.Wait();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _released.Set();
        _released.Dispose();
    }
}

/// <summary>
/// Writes through a pooled PostgreSQL connection; its first run has PostgreSQL terminate that connection's session mid-command
/// (a real 57P01, what a server restart does to every pooled connection).
/// </summary>
public sealed class TerminatedOnceIntegration : Integration<EmptySettings>
{
    public const string Platform = "terminated-once";

    private int _runs;

    public override string Name => Platform;

    public override IReadOnlyList<string> Tasks => [Jobs.JobTree.IntegrationTasks.Entry];

    public override string DisplayName => "Terminated once";

    public override string Description => "Loses its database session on the first run.";

    public int Runs => _runs;

    public override async Task RunAsync(JobContext context)
    {
        var run = Interlocked.Increment(ref _runs);
        await using var command = context.Postgres.CreateCommand(run == 1 ? "SELECT pg_terminate_backend(pg_backend_pid())" : "SELECT 1");
        await command.ExecuteScalarAsync(context.CancellationToken);
    }
}

/// <summary>An integration whose name cannot name its queues (a dot would make its bulk queue another's interactive one).</summary>
public sealed class DottedNameIntegration : Integration<EmptySettings>
{
    public override string Name => "shop.interactive";

    public override IReadOnlyList<string> Tasks => [Jobs.JobTree.IntegrationTasks.Entry];

    public override string DisplayName => "Dotted";

    public override string Description => "Refused by the Integrations host.";

    public override Task RunAsync(JobContext context) => Task.CompletedTask;
}
