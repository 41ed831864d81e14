using BrokerChat.Kafka;
using Confluent.Kafka;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Where a worker's records end: once a record is finished (every delivery made from it acknowledged by the brokers),
/// the offset after the contiguous prefix of finished records of its partition is stored on the consumer, for its
/// next auto-commit, and the record gives back its slot of the worker's in-flight bound
/// (<see cref="FunctionsOptions.MaxInFlight"/>). A slot is taken when the poll thread hands a record to its lane.
/// </summary>
/// <remarks>
/// The consumer auto-commits what is stored every 500 ms (<c>enable.auto.offset.store</c> is off, so nothing is
/// stored behind the worker's back); a revoked partition is committed at once by the rebalance handler. Records
/// finish on the producer's delivery thread, so every member is thread-safe. What is stored is also reported to
/// <c>positions</c>, when given, so the embedded cluster's retention keeps what the group has not finished
/// (<see cref="RetentionReaders"/>).
/// </remarks>
internal sealed class OffsetStore(string topic, int maxInFlight, GroupPositions? positions = null) : IDisposable
{
    private readonly SemaphoreSlim _inFlight = new(maxInFlight, maxInFlight);

    /// <summary>The consumer offsets are stored on, while the worker has one.</summary>
    public IConsumer<byte[], byte[]>? Consumer { get; set; }

    /// <summary>Takes an in-flight slot for a record about to be queued, waiting for one when all are taken. Poll thread.</summary>
    public void Acquire(CancellationToken stoppingToken)
    {
        if (!_inFlight.Wait(0, CancellationToken.None))
        {
            // Bounded in flight for the whole worker: wait for deliveries to complete before reading further.
            _inFlight.Wait(stoppingToken);
        }
    }

    /// <summary>
    /// The record at <paramref name="offset"/> is finished: stores the partition's new commit offset when the
    /// contiguous finished prefix grew, and gives the record's slot back. Nothing happens when the assignment
    /// <paramref name="progress"/> tracks was retired meanwhile (its slots were given back then).
    /// </summary>
    public void Finish(PartitionProgress progress, long offset)
    {
        if (!progress.Finished(offset, out var commit))
        {
            return;
        }

        Store(progress, commit);
        _inFlight.Release();
    }

    /// <summary>
    /// A record the poll thread finished as it read it (a control record): it holds no slot of the bound, but takes
    /// its place in the partition's commit order, so the commit passes it only once every record before it finished.
    /// Poll thread.
    /// </summary>
    public void Pass(PartitionProgress progress, long offset)
    {
        progress.Started(offset);
        if (progress.Finished(offset, out var commit))
        {
            Store(progress, commit);
        }
    }

    /// <summary>
    /// A delivery of the record at <paramref name="offset"/> failed: marks its partition for a rewind and gives the
    /// record's slot back, unless the assignment was retired meanwhile.
    /// </summary>
    public void Fail(PartitionProgress progress, long offset)
    {
        if (progress.Failed(offset))
        {
            _inFlight.Release();
        }
    }

    /// <summary>Ends the assignment <paramref name="progress"/> tracks and gives back the slots its records still held.</summary>
    public void Retire(PartitionProgress progress)
    {
        var held = progress.Retire();
        if (held > 0)
        {
            _inFlight.Release(held);
        }
    }

    private void Store(PartitionProgress progress, long commit)
    {
        if (commit >= 0)
        {
            positions?.Report(progress.Partition, commit);
        }

        if (commit >= 0 && Consumer is { } consumer)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(topic, progress.Partition, commit));
            }
            catch (KafkaException)
            {
                // The partition was revoked meanwhile; its new owner processes from the last commit.
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _inFlight.Dispose();
}
