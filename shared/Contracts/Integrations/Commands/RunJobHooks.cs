using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>One hook a job names: the hook's name and its validated settings (defaults filled in).</summary>
public record HookCall(string Name, JsonElement Settings);

/// <summary>
/// What a post hook is told of the job it runs after: the root's final status and counts, and why it failed when it did.
/// </summary>
public record HookJobOutcome(string Status, long Total, long Completed, long Failed, string? Reason, DateTimeOffset FinishedAt);

/// <summary>
/// Command sent by the RootJob saga to the queue <c>integration-&lt;platform&gt;</c>: run the job's hooks of one
/// <see cref="Phase"/> (<c>pre</c> before its entry run, <c>post</c> once it has its final counts, with <see cref="Outcome"/>), in
/// order, and publish <see cref="JobHooksFinished"/>.
/// </summary>
public record RunJobHooks(
    Guid RootJobId,
    string Platform,
    string? Schedule,
    string Phase,
    IReadOnlyList<HookCall> Hooks,
    DateTimeOffset StartedAt,
    HookJobOutcome? Outcome = null);
