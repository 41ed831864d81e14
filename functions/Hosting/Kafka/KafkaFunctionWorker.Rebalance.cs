using Confluent.Kafka;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

// How the worker takes partitions on and gives them up: a lane per assigned partition. On a revoke its lanes stop at
// once, the deliveries already produced are waited for, and what finished is committed before the partition goes; on
// a loss everything of it is dropped at once, uncommitted; on stopping every lane drains for up to
// FunctionsOptions.DrainTimeout. The consumer's rebalance callbacks run on the poll thread.
public sealed partial class KafkaFunctionWorker
{
    private void OnAssigned(List<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
        {
            var lane = StartLane(tp.Partition.Value);
            if (_lanes.TryGetValue(tp.Partition.Value, out var previous))
            {
                StopLanes([previous], TimeSpan.Zero);
                _offsets.Retire(previous.Progress);
                previous.Dispose();
            }

            _lanes[tp.Partition.Value] = lane;
        }

        if (partitions.Count > 0)
        {
            Log.PartitionsAssigned(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        }
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }

        Log.PartitionsRevoked(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        var lanes = TakeLanes(partitions.Select(p => p.Partition.Value));
        // Records not started yet are left to the next owner: the rebalance waits only for work under way.
        StopLanes(lanes, TimeSpan.Zero);
        WaitForDeliveries(lanes);
        var commits = new List<TopicPartitionOffset>();
        foreach (var lane in lanes)
        {
            _offsets.Retire(lane.Progress);
            if (lane.Progress.CommitOffset >= 0)
            {
                commits.Add(new TopicPartitionOffset(_factory.Topics.Inbound, lane.Partition, lane.Progress.CommitOffset));
            }

            lane.Dispose();
        }

        if (commits.Count > 0)
        {
            try
            {
                consumer.Commit(commits);
            }
            catch (KafkaException ex)
            {
                Log.CommitFailed(_logger, ex.Error.Reason);
            }
        }
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        Log.PartitionsLost(_logger, _index, string.Join(",", partitions.Select(p => p.Partition.Value).Order()));
        foreach (var lane in TakeLanes(partitions.Select(p => p.Partition.Value)))
        {
            // Another member may own the partition already: stop at once and commit nothing.
            lane.Cancel();
            _offsets.Retire(lane.Progress);
        }
    }

    private List<PartitionLane> TakeLanes(IEnumerable<int> partitions)
    {
        var lanes = new List<PartitionLane>();
        foreach (var partition in partitions)
        {
            if (_lanes.TryRemove(partition, out var lane))
            {
                lanes.Add(lane);
            }
        }

        return lanes;
    }

    /// <summary>
    /// Stops lanes: each finishes the records it holds for up to <paramref name="grace"/>, then is cancelled; waits (up
    /// to the drain timeout) for their tasks, so nothing of theirs is produced after this returns.
    /// </summary>
    private void StopLanes(List<PartitionLane> lanes, TimeSpan grace)
    {
        if (lanes.Count == 0)
        {
            return;
        }

        var all = Task.WhenAll(lanes.Select(l => l.Completion));
        foreach (var lane in lanes)
        {
            if (grace > TimeSpan.Zero)
            {
                lane.Complete();
            }
            else
            {
                lane.Cancel();
            }
        }

        if (grace > TimeSpan.Zero && !all.Wait(grace))
        {
            foreach (var lane in lanes)
            {
                lane.Cancel();
            }
        }

        all.Wait(_options.DrainTimeout);
    }

    private void Drain()
    {
        var lanes = TakeLanes(_lanes.Keys.ToArray());
        StopLanes(lanes, _options.DrainTimeout);
        WaitForDeliveries(lanes);
        var left = lanes.Sum(l => l.Progress.InFlight);
        if (left > 0)
        {
            Log.DrainIncomplete(_logger, _index, left);
        }

        foreach (var lane in lanes)
        {
            _offsets.Retire(lane.Progress);
            lane.Dispose();
        }
    }

    private void WaitForDeliveries(IEnumerable<PartitionLane> lanes)
    {
        // Delivery reports arrive on the producer's own thread; flushing waits for them without a polling loop.
        if (lanes.Any(l => l.Progress.InFlight > 0))
        {
            _producer.Flush(_options.DrainTimeout);
        }
    }
}
