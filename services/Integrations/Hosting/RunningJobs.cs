using System.Collections.Concurrent;

using Jobs.Plugins;

namespace Jobs.Integrations.Hosting;

/// <summary>
/// Cancellation of the root jobs this process is running children of: a cancelled (or failed) root's running children
/// see their <see cref="JobContext.CancellationToken"/> fire, and its children that start afterwards do not run.
/// </summary>
public sealed class RunningJobs
{
    private static readonly TimeSpan RememberCancelled = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<Guid, Entry> _roots = new();

    // Cancelled roots are remembered (with whether they failed rather than were cancelled), so a child that starts after
    // the cancellation (the rest of a batch) is cancelled too, even when no other child of the root was running at that moment.
    private readonly ConcurrentDictionary<Guid, (DateTime At, bool Failed)> _cancelled = new();

    private long _inFlight;
    private long _finished;

    /// <summary>Children of any root running in this process now (leases held).</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Children this process has finished running since it started (leases given back).</summary>
    public long Finished => Interlocked.Read(ref _finished);

    /// <summary>Marks a child of <paramref name="rootJobId"/> as running; dispose the lease when it ends.</summary>
    public Lease Enter(Guid rootJobId, CancellationToken hostStopping)
    {
        Interlocked.Increment(ref _inFlight);
        var entry = _roots.AddOrUpdate(rootJobId, _ => new Entry(), (_, e) =>
        {
            Interlocked.Increment(ref e.Users);
            return e;
        });
        if (_cancelled.TryGetValue(rootJobId, out var cancelled))
        {
            entry.Failed |= cancelled.Failed;
            entry.Cancellation.Cancel();
        }

        return new Lease(this, rootJobId, entry, CancellationTokenSource.CreateLinkedTokenSource(hostStopping, entry.Cancellation.Token));
    }

    /// <summary>
    /// Cancels the running children of a root (<paramref name="failed"/>: because it failed, not because it was cancelled);
    /// returns whether any was running here.
    /// </summary>
    public bool Cancel(Guid rootJobId, bool failed = false)
    {
        var now = DateTime.UtcNow;
        _cancelled.AddOrUpdate(rootJobId, (now, failed), (_, c) => (now, c.Failed || failed));
        foreach (var old in _cancelled.Where(c => now - c.Value.At > RememberCancelled)) _cancelled.TryRemove(old);
        if (!_roots.TryGetValue(rootJobId, out var entry)) return false;
        entry.Failed |= failed;
        entry.Cancellation.Cancel();
        return true;
    }

    private void Leave(Guid rootJobId, Entry entry)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _finished);
        if (Interlocked.Decrement(ref entry.Users) == 0 && _roots.TryRemove(KeyValuePair.Create(rootJobId, entry)))
            entry.Cancellation.Dispose();
    }

    internal sealed class Entry
    {
        public readonly CancellationTokenSource Cancellation = new();
        public int Users = 1;
        public volatile bool Failed;
    }

    public sealed class Lease : IDisposable
    {
        private readonly RunningJobs owner;
        private readonly Guid rootJobId;
        private readonly Entry entry;
        private readonly CancellationTokenSource linked;

        internal Lease(RunningJobs owner, Guid rootJobId, Entry entry, CancellationTokenSource linked)
        {
            this.owner = owner;
            this.rootJobId = rootJobId;
            this.entry = entry;
            this.linked = linked;
        }

        public CancellationToken Token => linked.Token;

        /// <summary>Whether the root job was cancelled or failed (as opposed to this process stopping).</summary>
        public bool CancelledByRequest => entry.Cancellation.IsCancellationRequested;

        /// <summary>Whether the root was stopped because it failed (a required task, or any child under <c>fail_fast</c>).</summary>
        public bool RootFailed => entry.Failed;

        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1) return;
            linked.Dispose();
            owner.Leave(rootJobId, entry);
        }
    }
}
