namespace Jobs.Integrations.ReadModel;

/// <summary>
/// The Integrations processes' heartbeats: one hash, a field per process (<c>host:pid</c>), the value a <see cref="WorkerHeartbeat"/> as
/// JSON. Written by each Integrations process for itself (and its field removed when it stops); other services read it through
/// <see cref="Workers"/>. Internal, like <see cref="RunKeys"/>.
/// </summary>
internal static class WorkerKeys
{
    public const string HeartbeatsKey = "integrations:workers";
}
