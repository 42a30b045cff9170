using Jobs.JobTree;
using System.Buffers.Binary;
using Prometheus;

namespace Jobs.Plugins.Synthetic;

/// <summary>
/// A data source that collects nothing: it fans out children and grandchildren, sleeps and fails on
/// request. Used by the demo, the tests and the benchmarks.
/// </summary>
public sealed class SyntheticIntegration : Integration<SyntheticSettings>
{
    public const string Child = "child";
    public const string Grandchild = "grandchild";
    public const string Summary = "summary";

    public override IReadOnlyList<string> Tasks => [JobTree.IntegrationTasks.Entry, Child, Grandchild, Summary];

    private static readonly Counter Failures = Metrics.CreateCounter("synthetic_failures_total",
        "Synthetic children that failed on purpose (fail_ratio)", "task");

    public override string Name => "synthetic";

    public override string DisplayName => "Synthetic";

    public override string Description => "Fans out no-op children and grandchildren with optional work time and failures, for demos, tests and benchmarks.";

    public override async Task RunAsync(JobContext context)
    {
        var settings = context.SettingsAs<SyntheticSettings>();
        switch (context.Task)
        {
            case JobTree.IntegrationTasks.Entry:
                if (settings.ApiToken is { } token)
                    await context.StoreDatasetAsync("processed", new
                    {
                        settings.Children,
                        TokenSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token))),
                    });
                for (var i = 0; i < settings.Children; i++) context.SpawnChild(Child);
                if (settings.Continuation) context.ContinueWith(Summary);
                break;
            case Child:
                await WorkAsync(context, settings);
                for (var i = 0; i < settings.Grandchildren; i++) context.SpawnChild(Grandchild);
                break;
            case Grandchild:
                await WorkAsync(context, settings);
                break;
            case Summary:
                context.Logger.LogInformation("Summary continuation ran after all children finished");
                break;
            default:
                throw new InvalidOperationException($"synthetic has no task '{context.Task}'");
        }
    }

    private static async Task WorkAsync(JobContext context, SyntheticSettings settings)
    {
        if (settings.WorkMs > 0) await Task.Delay(settings.WorkMs, context.CancellationToken);
        if (ShouldFail(context.JobId, settings.FailRatio))
        {
            Failures.WithLabels(context.Task).Inc();
            throw new SyntheticFailureException($"synthetic failure of {context.Task} {context.JobId} (fail_ratio {settings.FailRatio}){(settings.Note is { Length: > 0 } note ? ": " + note : "")}");
        }
    }

    /// <summary>Whether a job fails: a pure function of its id, so a redelivered child decides the same way.</summary>
    public static bool ShouldFail(Guid jobId, double ratio)
    {
        if (ratio <= 0) return false;
        Span<byte> bytes = stackalloc byte[16];
        jobId.TryWriteBytes(bytes);
        // Divide by 2^32 so the fraction is in [0, 1): ratio 1 then fails every id, including one whose word is uint.MaxValue.
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes[..4]) / 4294967296.0 < ratio;
    }
}

public sealed class SyntheticFailureException(string message) : Exception(message);
