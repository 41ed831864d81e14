using System.Diagnostics;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Produces what a worker makes of its records (deliveries to the outbound topic, records set aside on the dead-letter
/// topic) with the process's shared producer, and finishes a record in the <see cref="OffsetStore"/> once the brokers
/// acknowledged every message made from it.
/// </summary>
/// <remarks>
/// A full producer queue is waited out (5 ms at a time) rather than buffered past. A message the brokers do not take
/// fails its record once, however many messages the record made: its partition is then rewound to its first
/// unfinished record and read again, and the repeats carry the same message ids.
/// </remarks>
internal sealed class DeliveryProducer(
    KafkaProducerHost producerHost,
    OffsetStore offsets,
    FunctionsMetrics metrics,
    TimeProvider timeProvider,
    ILogger logger)
{
    /// <summary>Serializes a delivery as the value of a message keyed <paramref name="key"/>, with the trace context of <paramref name="activity"/>.</summary>
    public static Message<byte[], byte[]> ToMessage(byte[] key, Delivery delivery, Activity? activity)
    {
        var message = new Message<byte[], byte[]> { Key = key, Value = ContractSerializer.Serialize(delivery) };
        KafkaTraceContext.Inject(message, activity);
        return message;
    }

    /// <summary>
    /// Produces the deliveries made from the record at <paramref name="offset"/> to <paramref name="topic"/>, each
    /// keyed by what it is about (<see cref="PartitionKeys.ForDelivery"/>: a group's key for anything about one group,
    /// else <paramref name="key"/>, the record's), so a group message made from a connection's event lands on the
    /// room's partition and keeps its place in the room's order. Each carries the context of
    /// <paramref name="activity"/> and its <see cref="DeliverySource"/> (the record's partition, offset and key, and
    /// its index among the record's deliveries), by which connectors drop a repeat; the record is finished when all
    /// were stored. It must have made at least one.
    /// </summary>
    public async ValueTask ProduceDeliveriesAsync(
        string topic, byte[] key, IReadOnlyList<Delivery> deliveries, Activity? activity, PartitionProgress progress, long offset, CancellationToken token)
    {
        var remaining = new RecordCompletion(deliveries.Count);
        var keyHash = DeliverySource.HashKey(key);
        for (var index = 0; index < deliveries.Count; index++)
        {
            var delivery = deliveries[index];
            delivery.Source = new DeliverySource { Partition = progress.Partition, Offset = offset, Index = index, KeyHash = keyHash };
            if (activity is not null)
            {
                delivery.TraceParent = activity.Id;
            }

            await ProduceAsync(topic, ToMessage(PartitionKeys.ForDelivery(delivery, key), delivery, activity), progress, offset, remaining, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Produces one of the messages made from the record at <paramref name="offset"/>; <paramref name="remaining"/>
    /// counts them down, and the last one stored finishes the record.
    /// </summary>
    public async ValueTask ProduceAsync(string topic, Message<byte[], byte[]> message, PartitionProgress progress, long offset, RecordCompletion remaining, CancellationToken token)
    {
        var producer = producerHost.Producer;
        while (true)
        {
            try
            {
                producer.Produce(topic, message, report => OnDelivered(report, progress, offset, remaining));
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The producer's bounded queue is full: wait for it to drain rather than buffer more.
                await Task.Delay(TimeSpan.FromMilliseconds(5), timeProvider, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for every message produced so far to be acknowledged or to fail.</summary>
    public void Flush(TimeSpan timeout) => producerHost.Producer.Flush(timeout);

    private void OnDelivered(DeliveryReport<byte[], byte[]> report, PartitionProgress progress, long offset, RecordCompletion remaining)
    {
        if (report.Error.IsError)
        {
            if (remaining.Fail())
            {
                Log.DeliveryFailed(logger, progress.Partition, offset, report.Error.Reason);
                metrics.DeliveryFailed();
                offsets.Fail(progress, offset);
            }

            return;
        }

        if (remaining.Succeed())
        {
            offsets.Finish(progress, offset);
        }
    }
}
