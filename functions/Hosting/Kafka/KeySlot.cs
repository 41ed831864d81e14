using System.Threading.Channels;
using Confluent.Kafka;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// One key slot of a <see cref="PartitionLane"/>: the records of the keys that hash to it, in offset order, handled
/// by a task of its own, so a key waiting on a slow handler or on retries holds up only the keys that share its slot.
/// A slot lives as long as its lane; it is started when its first record arrives.
/// </summary>
internal sealed class KeySlot
{
    private readonly Channel<ConsumeResult<byte[], byte[]>> _queue;
    private readonly int _capacity;

    public KeySlot(PartitionLane lane, int index, int capacity)
    {
        Lane = lane;
        Index = index;
        _capacity = capacity;
        _queue = Channel.CreateBounded<ConsumeResult<byte[], byte[]>>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The lane (partition) the slot belongs to.</summary>
    public PartitionLane Lane { get; }

    /// <summary>The slot's number within its lane, 0 to the lane's slot count less one.</summary>
    public int Index { get; }

    public int Partition => Lane.Partition;

    public ChannelReader<ConsumeResult<byte[], byte[]>> Reader => _queue.Reader;

    /// <summary>The task handling the queue; set once when the slot starts.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Whether the queue holds as many records as it may. The partition's own bound is reached first (a slot never
    /// queues more records than its partition holds); the poll thread pauses the partition on either. Poll thread.
    /// </summary>
    public bool IsFull => _queue.Reader.Count >= _capacity;

    /// <summary>The offset of the (first) record being handled, for logs. Slot task only.</summary>
    public long Current { get; set; } = -1;

    /// <summary>Records in the try under way: 1, or the size of a batch. Slot task only.</summary>
    public int Count { get; set; }

    /// <summary>Tries of the record (or batch) being handled so far. Slot task only.</summary>
    public int Attempts { get; set; }

    /// <summary>Queues a record; false only if the slot was completed.</summary>
    public bool TryEnqueue(ConsumeResult<byte[], byte[]> record) => _queue.Writer.TryWrite(record);

    /// <summary>No more records: the slot finishes what it holds, then its task ends.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// The slot of <paramref name="key"/> among <paramref name="slots"/>: FNV-1a with murmur3's finalizer. It must
    /// not be the partitioner's murmur2: the keys of one partition share that hash modulo the partition count, so
    /// with 12 partitions and 8 slots they would all fall into 2 slots. A record without a key goes to slot 0.
    /// </summary>
    public static int SlotOf(ReadOnlySpan<byte> key, int slots)
    {
        if (slots <= 1 || key.IsEmpty)
        {
            return 0;
        }

        var hash = 2166136261u;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 16777619u;
        }

        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        hash ^= hash >> 16;
        return (int)(hash % (uint)slots);
    }
}
