using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Connector.History;

/// <summary>A group message read back from the outbound topic at startup, for its room's history.</summary>
internal readonly record struct WarmedMessage(int Partition, long Offset, Delivery Delivery, int Size, long At);

/// <summary>
/// What a starting connector reads back from the outbound topic, before it fans anything out, so that its rooms'
/// histories are not empty: per partition, the last <see cref="ConnectorOptions.RoomHistoryWarmupRecords"/> records
/// below the start position, of which the group messages younger than the history age are kept. Nothing read here
/// is sent to anyone.
/// </summary>
/// <remarks>
/// A history that is not complete must not say it is, or a session resumed here from a token could miss messages: so a
/// partition's rooms are complete from the first record read (or after the last message skipped for its age), and a
/// partition that could not be read to its start position (the time ran out, or records vanished under the reader)
/// keeps nothing and is complete only from the start position. Offsets by time (<c>OffsetsForTimes</c>) would spare
/// reading old records on a real cluster, but the embedded one does not answer them, so the bound is a record count.
/// </remarks>
internal static class HistoryWarmup
{
    /// <summary>How long reading back may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Reads back the records below <paramref name="high"/>[p] (at or above <paramref name="low"/>[p]); returns where each
    /// partition's history is complete from and the messages to keep, oldest first.
    /// </summary>
    public static (long[] CoveredFrom, List<WarmedMessage> Messages) Read(
        IConsumer<byte[], byte[]> consumer, string topic, long[] low, long[] high, int recordsPerPartition, TimeSpan maxAge, TimeProvider clock, ILogger logger)
    {
        var partitions = high.Length;
        var coveredFrom = (long[])high.Clone();
        var from = new long[partitions];
        var done = new bool[partitions];
        var kept = new List<WarmedMessage>[partitions];
        var pending = new List<TopicPartitionOffset>();
        for (var p = 0; p < partitions; p++)
        {
            from[p] = Math.Max(low[p], high[p] - recordsPerPartition);
            kept[p] = [];
            done[p] = recordsPerPartition <= 0 || from[p] >= high[p];
            coveredFrom[p] = done[p] ? high[p] : from[p];
            if (!done[p])
            {
                pending.Add(new TopicPartitionOffset(topic, p, from[p]));
            }
        }

        if (pending.Count == 0)
        {
            return (high, []);
        }

        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var nowTicks = clock.GetTimestamp();
        var oldestMs = nowMs - (long)maxAge.TotalMilliseconds;
        var deadline = nowTicks + (long)(Timeout.TotalSeconds * clock.TimestampFrequency);
        var complete = new bool[partitions]; // read up to the start position record by record
        long records = 0;
        consumer.Assign(pending);
        while (done.Contains(false) && clock.GetTimestamp() < deadline)
        {
            ConsumeResult<byte[], byte[]>? result;
            try
            {
                result = consumer.Consume(PollInterval);
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                continue;
            }

            if (result?.Message is null)
            {
                // Nothing came: a partition whose position passed the start without its last record was cut short.
                foreach (var tp in consumer.Assignment)
                {
                    var p = tp.Partition.Value;
                    if (!done[p] && consumer.Position(tp) is { Value: >= 0 } position && position.Value >= high[p])
                    {
                        done[p] = true;
                    }
                }

                continue;
            }

            var partition = result.Partition.Value;
            var offset = result.Offset.Value;
            if (done[partition] || offset >= high[partition])
            {
                done[partition] = true;
                continue;
            }

            records++;
            if (offset == high[partition] - 1)
            {
                done[partition] = complete[partition] = true;
            }

            if (result.Message.Value is not { } value)
            {
                continue;
            }

            Delivery delivery;
            try
            {
                delivery = ContractSerializer.DeserializeDelivery(value);
            }
            catch (ContractException)
            {
                continue; // skipped when it was first read too
            }

            if (delivery is not { Target: DeliveryTarget.Group, Group: not null, HasMessage: true })
            {
                continue;
            }

            if (delivery.ProducedAt < oldestMs)
            {
                coveredFrom[partition] = offset + 1; // too old to keep: the room's history starts after it
                continue;
            }

            var ageTicks = (long)((nowMs - Math.Min(nowMs, delivery.ProducedAt)) / 1000.0 * clock.TimestampFrequency);
            kept[partition].Add(new WarmedMessage(partition, offset, delivery, value.Length + 64, nowTicks - ageTicks));
        }

        var incomplete = new List<int>();
        for (var p = 0; p < partitions; p++)
        {
            if (!done[p] || (!complete[p] && from[p] < high[p]))
            {
                incomplete.Add(p);
                coveredFrom[p] = high[p];
                kept[p].Clear();
            }
        }

        if (incomplete.Count > 0)
        {
            HistoryLog.HistoryWarmupIncomplete(logger, string.Join(",", incomplete));
        }

        var messages = Merge(kept);
        HistoryLog.HistoryWarmedUp(logger, messages.Count, messages.Select(m => (m.Delivery.Hub, m.Delivery.Group)).Distinct().Count(), records);
        return (coveredFrom, messages);
    }

    /// <summary>
    /// The partitions' messages oldest first, as they would have arrived (the histories age and trim them in that order),
    /// each partition's in offset order whatever the clocks that stamped them said.
    /// </summary>
    private static List<WarmedMessage> Merge(List<WarmedMessage>[] byPartition)
    {
        var next = new int[byPartition.Length];
        var merged = new List<WarmedMessage>(byPartition.Sum(p => p.Count));
        while (true)
        {
            var pick = -1;
            for (var p = 0; p < byPartition.Length; p++)
            {
                if (next[p] < byPartition[p].Count && (pick < 0 || byPartition[p][next[p]].At < byPartition[pick][next[pick]].At))
                {
                    pick = p;
                }
            }

            if (pick < 0)
            {
                return merged;
            }

            merged.Add(byPartition[pick][next[pick]++]);
        }
    }
}
