namespace Jobs.Contracts;

/// <summary>
/// Sent by the Auditor's stuck-job sweeper to the Integrator: the audit trail holds an outcome for every child this running
/// root waited for, yet the root never ended (a lost message). The counts and the entry run's error are what the recorded
/// outcomes say. The Integrator ends the root from them, as when its ledger finds the tree done; a root that has ended
/// meanwhile is not changed.
/// </summary>
public record EndStalledRootJob(Guid RootJobId, string Platform, long Total, long Completed, long Failed, string? EntryError);
