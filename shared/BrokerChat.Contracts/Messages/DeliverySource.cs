using MessagePack;

namespace BrokerChat.Contracts.Messages;

/// <summary>
/// Where a delivery comes from: the inbound record it was made from (its partition, offset and key) and its place
/// among the deliveries made from that record. The records of one key are handled in offset order and their
/// deliveries produced in that order, so for one target (a room, a user, a connection, a hub) and one source
/// (partition and key) the positions only grow:
/// a delivery at or below one already fanned out is a repeat (a worker that lost its partitions producing what it
/// still held, or a new owner handling again records whose offsets were not committed), and connectors drop it.
/// </summary>
/// <remarks>
/// Wire format: MessagePack array, append-only like every contract here.
/// 0 = inbound partition, 1 = inbound offset, 2 = index among the record's deliveries, 3 = the 64-bit FNV-1a hash of
/// the record's key (<see cref="HashKey"/>).
/// </remarks>
[MessagePackObject]
public sealed class DeliverySource
{
    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    [Key(0)] public int Partition { get; set; }
    [Key(1)] public long Offset { get; set; }
    [Key(2)] public int Index { get; set; }
    [Key(3)] public ulong KeyHash { get; set; }

    /// <summary>The 64-bit FNV-1a hash of a record key: which of a partition's keys a delivery's record had.</summary>
    public static ulong HashKey(ReadOnlySpan<byte> key)
    {
        var hash = FnvOffset;
        foreach (var b in key)
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return hash;
    }

    /// <summary>Whether this source comes after <paramref name="offset"/> and <paramref name="index"/> of the same partition and key.</summary>
    public bool IsAfter(long offset, int index) => Offset > offset || (Offset == offset && Index > index);
}
