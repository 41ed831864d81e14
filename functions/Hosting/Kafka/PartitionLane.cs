using Confluent.Kafka;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// The work of one assigned partition: its records spread over a fixed number of <see cref="KeySlot"/>s by a hash of
/// the record key, each slot handling its own records in offset order with a task of its own. So a partition waiting
/// on a slow room or on retries holds up nothing but the rooms of that slot, while every key keeps its order. One
/// lane lives for one assignment (or until a rewind); <see cref="Progress"/> tracks which of its records may be
/// committed, whichever slot finishes them.
/// </summary>
internal sealed class PartitionLane : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly KeySlot?[] _slots;
    private readonly int _slotCapacity;
    private readonly Func<KeySlot, Task> _run;
    private bool _completed;
    private long _lag = -1;

    /// <summary>
    /// Creates the lane of <paramref name="topicPartition"/> with <paramref name="keySlots"/> slots of up to
    /// <paramref name="capacity"/> queued records each; <paramref name="run"/> is a slot's task, started with its
    /// first record.
    /// </summary>
    public PartitionLane(TopicPartition topicPartition, int keySlots, int capacity, Func<KeySlot, Task> run)
    {
        TopicPartition = topicPartition;
        Progress = new PartitionProgress(topicPartition.Partition.Value);
        _slots = new KeySlot?[keySlots];
        _slotCapacity = capacity;
        _run = run;
    }

    public int Partition => Progress.Partition;

    /// <summary>The inbound topic and partition, for the consumer's pause, resume and seek calls.</summary>
    public TopicPartition TopicPartition { get; }

    public PartitionProgress Progress { get; }

    /// <summary>Cancelled when the lane is abandoned (revoke, loss, rewind, end of a drain): every slot stops.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>The tasks of the slots started so far. Poll thread (slots start only there).</summary>
    public Task Completion => Task.WhenAll(_slots.Where(s => s is not null).Select(s => s!.Completion));

    /// <summary>Whether the poll thread paused fetching this partition because the lane was full. Poll thread only.</summary>
    public bool Paused { get; set; }

    /// <summary>Records of the partition not yet finished, as last measured by the poll thread; -1 before the first measurement.</summary>
    public long Lag
    {
        get => Volatile.Read(ref _lag);
        set => Volatile.Write(ref _lag, value);
    }

    /// <summary>The slot of a record keyed <paramref name="key"/>, started when it is the first; null once the lane was completed. Poll thread.</summary>
    public KeySlot? SlotFor(byte[]? key)
    {
        if (_completed)
        {
            return null;
        }

        var index = KeySlot.SlotOf(key, _slots.Length);
        if (_slots[index] is { } slot)
        {
            return slot;
        }

        slot = new KeySlot(this, index, _slotCapacity);
        slot.Completion = Task.Run(() => _run(slot), CancellationToken.None);
        _slots[index] = slot;
        return slot;
    }

    /// <summary>No more records: every slot finishes what it holds, then its task ends. Poll thread.</summary>
    public void Complete()
    {
        _completed = true;
        foreach (var slot in _slots)
        {
            slot?.Complete();
        }
    }

    /// <summary>Abandons the lane: queued records are dropped, a try in progress or a retry delay is cancelled, in every slot. Poll thread.</summary>
    public void Cancel()
    {
        Complete();
        _cancellation.Cancel();
    }

    public void Dispose() => _cancellation.Dispose();
}
