using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Jobs.JobTree;

/// <summary>
/// Deterministic ids (RFC 9562 name-based, SHA-1): re-running a parent after a crash spawns children with
/// the same ids, so a child is recognised, not counted twice.
/// </summary>
public static class JobIds
{
    /// <summary>The id of the root job's entry run (generation 0): the run that fans the first children out.</summary>
    public static Guid Entry(Guid rootJobId) => Derive(rootJobId, -1);

    public static Guid Child(Guid parentJobId, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return Derive(parentJobId, index);
    }

    /// <summary>The continuation of the children spawned by <paramref name="parentJobId"/>.</summary>
    public static Guid Continuation(Guid parentJobId) => Derive(parentJobId, -2);

    /// <summary>
    /// The id of hook <paramref name="index"/> of a root's pre (<paramref name="post"/> false) or post hooks: the same for every attempt
    /// and redelivery of that hook run (a webhook's delivery id), never one of the root's children.
    /// </summary>
    public static Guid Hook(Guid rootJobId, bool post, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 9_999);
        return Derive(rootJobId, -(10_000 + (post ? 10_000 : 0) + index));
    }

    /// <summary>The root job id of one firing of a schedule: two schedulers firing the same trigger start one job.</summary>
    public static Guid ForSchedule(string schedule, DateTimeOffset scheduledFireTime)
    {
        var name = System.Text.Encoding.UTF8.GetBytes($"schedule:{schedule}:{scheduledFireTime.UtcTicks}");
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(name, hash);
        return Version5(hash);
    }

    private static Guid Derive(Guid parent, int index)
    {
        Span<byte> input = stackalloc byte[20];
        parent.TryWriteBytes(input[..16], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(input[16..], index);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
        return Version5(hash);
    }

    private static Guid Version5(Span<byte> hash)
    {
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
