using System.Text.Json;

namespace Jobs.JobTree;

/// <summary>
/// What a failed child means for its root: the setting <c>failure_policy</c> every platform's settings have (its default is
/// in the platform's schema, <c>GET /platforms</c>). Whatever the policy, a failed required task (see
/// <c>requiredTasks</c> of the platform) or entry run fails the root at once; <c>minSuccessPercent</c> of the request is
/// checked once every child has finished.
/// </summary>
public static class FailurePolicy
{
    /// <summary>The name of the setting.</summary>
    public const string SettingName = "failure_policy";

    /// <summary>Every child runs; the root ends <see cref="JobStatus.CompletedWithFailures"/> when some failed.</summary>
    public const string Continue = "continue";

    /// <summary>The first failed child fails the root: children still queued are not started, running ones are cancelled.</summary>
    public const string FailFast = "fail_fast";

    public static readonly IReadOnlyList<string> All = [Continue, FailFast];

    /// <summary>The error of a child (or continuation) not started because its root had already failed or ended.</summary>
    public const string NotStartedError = "not started: the root job had already failed";

    /// <summary>The policy named in validated settings; <see cref="Continue"/> when they name none.</summary>
    public static string Of(JsonElement settings) =>
        settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty(SettingName, out var value) && value.ValueKind == JsonValueKind.String &&
        value.GetString() is { } policy && All.Contains(policy)
            ? policy
            : Continue;
}
