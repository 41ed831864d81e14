using System.Text;

namespace BrokerChat.Contracts.Topics;

/// <summary>
/// The partition-key rule: a room (hub + group) is one key, so all of its traffic lands on one partition and keeps
/// its order. Producers use the <c>murmur2_random</c> partitioner (the Java client's default) so that every Kafka
/// client maps a key to the same partition.
/// </summary>
public static class PartitionKeys
{
    // '/' cannot occur in a hub name (hub names match ^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$), so hub + '/' + group
    // is unambiguous whatever the group name holds.
    private const char Separator = '/';

    /// <summary>The key of a room: the lower-cased hub, '/', and the group name (case-sensitive).</summary>
    public static byte[] Room(string hub, string group)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(group);
        var hubLower = hub.ToLowerInvariant();
        var bytes = new byte[Encoding.UTF8.GetByteCount(hubLower) + 1 + Encoding.UTF8.GetByteCount(group)];
        var written = Encoding.UTF8.GetBytes(hubLower, bytes);
        bytes[written++] = (byte)Separator;
        Encoding.UTF8.GetBytes(group, bytes.AsSpan(written));
        return bytes;
    }

    /// <summary>
    /// The key for a request that names no group (a custom event): the hub and the sender's connection, so one
    /// connection's events keep their order.
    /// </summary>
    public static byte[] Connection(string hub, string connectionId)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        // A group literally named "@<connection id>" would share this key; that only shares a partition, which is harmless.
        return Room(hub, "@" + connectionId);
    }

    /// <summary>
    /// The key a function produces a delivery with: a group's key for anything about one group (a message to it, a
    /// connection or user joining or leaving it), so it keeps its place in that room's order; otherwise
    /// <paramref name="fallback"/>, the key of the record it was made from.
    /// </summary>
    public static byte[] ForDelivery(Messages.Delivery delivery, byte[] fallback)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var aboutGroup = delivery.Group is not null
            && (delivery.Target == Messages.DeliveryTarget.Group
                || delivery.Command is Messages.DeliveryCommand.AddToGroup or Messages.DeliveryCommand.RemoveFromGroup);
        return aboutGroup && delivery.Target != Messages.DeliveryTarget.Presence ? Room(delivery.Hub, delivery.Group!) : fallback;
    }

    /// <summary>
    /// A key that lands on <paramref name="partition"/> and names no room (it starts with '/', and no hub name is
    /// empty): for a record about several rooms of one partition, which must stay in order with those rooms' records.
    /// </summary>
    public static byte[] ForPartition(int partition, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, partitionCount);
        // About partitionCount candidates are tried on average; the hash spreads "/p<n>" evenly enough that the
        // bound is never reached in practice.
        for (var n = 0; n < partitionCount * 1000; n++)
        {
            var key = Encoding.UTF8.GetBytes($"{Separator}p{n}");
            if (PartitionOf(key, partitionCount) == partition)
            {
                return key;
            }
        }

        throw new InvalidOperationException($"No key for partition {partition} of {partitionCount} was found.");
    }

    /// <summary>
    /// The partition a key lands on with the <c>murmur2_random</c> partitioner (and the Java client's default one):
    /// the positive 32-bit murmur2 hash of the key modulo the partition count. Lets a connector know which partition
    /// holds a room without seeing a record of it.
    /// </summary>
    public static int PartitionOf(ReadOnlySpan<byte> key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return (int)((Murmur2(key) & 0x7fffffff) % (uint)partitionCount);
    }

    private static uint Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28cu ^ (uint)length;
        var blocks = length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }

        var tail = data[(blocks * 4)..];
        switch (tail.Length)
        {
            case 3:
                h ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                h ^= tail[0];
                h *= m;
                break;
        }

        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
    }
}
