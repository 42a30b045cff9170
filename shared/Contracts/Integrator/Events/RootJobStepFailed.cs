namespace Jobs.Contracts;

/// <summary>
/// Sent by the ledger to the RootJob saga the first time a child whose failure fails the root failed: a task its plugin
/// marks required, or any child under the <c>fail_fast</c> policy. The root fails at once with
/// <see cref="Reason"/> (which carries the child's error), before its other children have finished; they are not started.
/// </summary>
public record RootJobStepFailed(Guid RootJobId, Guid ChildJobId, string Task, string Reason, long Total, long Completed, long Failed);
