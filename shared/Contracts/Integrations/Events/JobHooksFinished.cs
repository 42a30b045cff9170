namespace Jobs.Contracts;

/// <summary>
/// What one hook run ended with: <see cref="Status"/> is <c>succeeded</c>, <c>failed</c> (with <see cref="Error"/>) or <c>skipped</c>
/// (a pre hook that decided the job need not run, with the reason in <see cref="Error"/>); <see cref="Index"/> is its place in the phase's list.
/// </summary>
public record JobHookOutcome(int Index, string Name, string Status, string? Error, int Attempts, DateTimeOffset StartedAt, DateTimeOffset FinishedAt)
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
}

/// <summary>
/// Event: the hooks of one phase of a root job have run (<see cref="RunJobHooks"/>). Pre hooks stop at the first that failed or
/// skipped the job (the later ones are not run and not listed); post hooks all run. Consumed by the RootJob saga and audited.
/// </summary>
public record JobHooksFinished(Guid RootJobId, string Platform, string Phase, IReadOnlyList<JobHookOutcome> Outcomes);
