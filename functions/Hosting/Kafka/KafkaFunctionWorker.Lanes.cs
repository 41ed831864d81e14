using Confluent.Kafka;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

// The lanes of the worker: one PartitionLane per assigned partition, its key slots each running the loop here (a
// record alone, or what is queued as one batch), paused when full and resumed at half, rewound after a failed
// delivery, and measured for the lag gauge. The poll thread services them between two polls.
public sealed partial class KafkaFunctionWorker
{
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ServiceInterval = TimeSpan.FromMilliseconds(10);
    private long _lagMeasuredAt;
    private long _servicedAt;
    private int _pausedLanes; // as of the last full service, plus pauses since: never fewer than are paused

    private PartitionLane StartLane(int partition) => new(
        new TopicPartition(_factory.Topics.Inbound, partition), _options.KeySlotsPerPartition, _options.MaxInFlightPerPartition, RunSlotAsync);

    private async Task RunSlotAsync(KeySlot slot)
    {
        var lane = slot.Lane;
        var token = lane.Token;
        var batch = new List<ConsumeResult<byte[], byte[]>>();
        try
        {
            while (await slot.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // Take what is queued, up to a batch, without waiting for more.
                while (slot.Reader.TryRead(out var first))
                {
                    token.ThrowIfCancellationRequested();
                    if (_options.MaxBatchSize == 1 || !slot.Reader.TryPeek(out _))
                    {
                        await HandleAsync(slot, first, token).ConfigureAwait(false);
                        continue;
                    }

                    batch.Clear();
                    batch.Add(first);
                    while (batch.Count < _options.MaxBatchSize && slot.Reader.TryRead(out var next))
                    {
                        batch.Add(next);
                    }

                    await HandleBatchAsync(slot, batch, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Abandoned: what is left is handled again by whoever owns the partition next.
        }
        catch (Exception ex)
        {
            // A bug in the slot itself, not in the handler: read the partition again from its first unfinished record.
            Log.LaneFailed(_logger, ex, _index, lane.Partition);
            lane.Progress.RequestRewind();
        }
    }

    /// <summary>Stops fetching a full lane's partition alone, and fetches <paramref name="result"/> again once the lane has room. Poll thread.</summary>
    private void Pause(IConsumer<byte[], byte[]> consumer, PartitionLane lane, ConsumeResult<byte[], byte[]> result)
    {
        consumer.Pause([result.TopicPartition]);
        consumer.Seek(result.TopicPartitionOffset);
        lane.Paused = true;
        _pausedLanes++;
        _metrics.Paused();
        Log.PartitionPaused(_logger, _index, lane.Partition, result.Offset.Value);
    }

    /// <summary>Rewinds partitions whose delivery failed, resumes paused ones with room again, measures lag. Poll thread.</summary>
    private void ServiceLanes(IConsumer<byte[], byte[]> consumer)
    {
        // At most every 10 ms, not once per record (a rewind waits that much at worst), unless a paused partition may
        // be resumed: a full lane drains fast, and its partition should be fetching again as soon as it has room.
        if (_pausedLanes == 0 && _time.GetElapsedTime(_servicedAt) < ServiceInterval)
        {
            return;
        }

        _servicedAt = _time.GetTimestamp();
        var measureLag = _time.GetElapsedTime(Volatile.Read(ref _lagMeasuredAt)) >= LagInterval;
        if (measureLag)
        {
            Volatile.Write(ref _lagMeasuredAt, _time.GetTimestamp());
        }

        var paused = 0;
        foreach (var lane in _lanes.Values)
        {
            var tp = lane.TopicPartition;
            if (lane.Progress.NeedsRewind)
            {
                Rewind(consumer, lane, tp);
                continue;
            }

            if (lane.Paused && lane.Progress.InFlight <= _options.MaxInFlightPerPartition / 2)
            {
                consumer.Resume([tp]);
                lane.Paused = false;
            }

            if (lane.Paused)
            {
                paused++;
            }

            if (measureLag)
            {
                MeasureLag(consumer, lane, tp);
            }
        }

        _pausedLanes = paused;
    }

    private void Rewind(IConsumer<byte[], byte[]> consumer, PartitionLane failed, TopicPartition tp)
    {
        StopLanes([failed], TimeSpan.Zero);
        var from = failed.Progress.FirstUnfinished;
        _offsets.Retire(failed.Progress);
        var lane = StartLane(failed.Partition);
        _lanes[failed.Partition] = lane;
        failed.Dispose();
        Log.Rewind(_logger, _index, tp.Partition.Value, from);
        consumer.Seek(new TopicPartitionOffset(tp, from));
        if (failed.Paused)
        {
            consumer.Resume([tp]);
        }
    }

    private static void MeasureLag(IConsumer<byte[], byte[]> consumer, PartitionLane lane, TopicPartition tp)
    {
        try
        {
            var high = consumer.GetWatermarkOffsets(tp).High;
            var next = lane.Progress.FirstUnfinished;
            if (next < 0)
            {
                next = consumer.Position(tp);
            }

            if (high >= 0 && next >= 0)
            {
                lane.Lag = Math.Max(0, high - next);
            }
        }
        catch (KafkaException)
        {
            // Not known yet: the gauge keeps the last value.
        }
    }

    private IEnumerable<KeyValuePair<int, long>> ObserveLag()
    {
        foreach (var lane in _lanes.Values)
        {
            var lag = lane.Lag;
            if (lag >= 0)
            {
                yield return new KeyValuePair<int, long>(lane.Partition, lag);
            }
        }
    }
}
