using System.Text.Json;

namespace Jobs.Contracts;

/// <summary>
/// One unit of work for an integration. <see cref="GroupId"/> is the job whose completion waits for this
/// child (the root, or the parent that spawned it together with a continuation).
/// </summary>
public record ChildJob(
    Guid ChildJobId,
    Guid ParentJobId,
    Guid GroupId,
    int Generation,
    string Task,
    JsonElement Settings);
