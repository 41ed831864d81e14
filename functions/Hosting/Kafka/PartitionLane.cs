using System.Threading.Channels;
using Confluent.Kafka;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// The work of one assigned partition: a bounded queue of records read from it, handled in offset order by one task
/// of its own, so that a partition waiting on retries holds up nothing but itself. One lane lives for one assignment
/// (or until a rewind); <see cref="Progress"/> tracks which of its records may be committed.
/// </summary>
internal sealed class PartitionLane : IDisposable
{
    private readonly Channel<ConsumeResult<byte[], byte[]>> _queue;
    private readonly CancellationTokenSource _cancellation = new();
    private long _lag = -1;

    public PartitionLane(TopicPartition topicPartition, int capacity)
    {
        TopicPartition = topicPartition;
        Progress = new PartitionProgress(topicPartition.Partition.Value);
        _queue = Channel.CreateBounded<ConsumeResult<byte[], byte[]>>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public int Partition => Progress.Partition;

    /// <summary>The inbound topic and partition, for the consumer's pause, resume and seek calls.</summary>
    public TopicPartition TopicPartition { get; }

    public PartitionProgress Progress { get; }

    /// <summary>Cancelled when the lane is abandoned (revoke, loss, rewind, end of a drain).</summary>
    public CancellationToken Token => _cancellation.Token;

    public ChannelReader<ConsumeResult<byte[], byte[]>> Reader => _queue.Reader;

    /// <summary>The task handling the queue; set once when the lane starts.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>Whether the poll thread paused fetching this partition because the lane was full. Poll thread only.</summary>
    public bool Paused { get; set; }

    /// <summary>The offset of the record being handled, for logs.</summary>
    public long Current { get; set; } = -1;

    /// <summary>Tries of the record being handled so far. Lane task only.</summary>
    public int Attempts { get; set; }

    /// <summary>Records of the partition not yet finished, as last measured by the poll thread; -1 before the first measurement.</summary>
    public long Lag
    {
        get => Volatile.Read(ref _lag);
        set => Volatile.Write(ref _lag, value);
    }

    /// <summary>Queues a record; false only if the lane was completed.</summary>
    public bool TryEnqueue(ConsumeResult<byte[], byte[]> record) => _queue.Writer.TryWrite(record);

    /// <summary>No more records: the lane finishes what it holds, then its task ends.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Abandons the lane: queued records are dropped, a try in progress or a retry delay is cancelled.</summary>
    public void Cancel()
    {
        Complete();
        _cancellation.Cancel();
    }

    public void Dispose() => _cancellation.Dispose();
}
