using System.Diagnostics;
using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

/// <summary>
/// Sets records aside on the dead-letter topic: a request that kept failing, and a record that is not a valid request
/// at all. The record goes there unchanged (key, value and headers) with why in headers of its own
/// (<see cref="DeadLetterHeaders"/>), and its sender, when it asked for an ack, gets the <c>InternalServerError</c>
/// that <see cref="IRequestHandler.Reject"/> makes of it. The record is finished once both are stored, so nothing is
/// ever dropped silently.
/// </summary>
internal sealed class DeadLetterWriter(
    IRequestHandler handler,
    DeliveryProducer producer,
    KafkaTopics topics,
    FunctionsMetrics metrics,
    TimeProvider timeProvider,
    ILogger logger)
{
    /// <summary>
    /// Sets <paramref name="record"/> aside for <paramref name="reason"/> after <paramref name="attempts"/> tries and
    /// tells its sender; <paramref name="frame"/> is null when the record is not a valid request.
    /// </summary>
    public async ValueTask WriteAsync(
        PartitionProgress progress, ConsumeResult<byte[], byte[]> record, InboundFrame? frame, string reason, int attempts, Activity? activity, CancellationToken token)
    {
        var offset = record.Offset.Value;
        activity?.SetStatus(ActivityStatusCode.Error, reason);
        activity?.SetTag("brokerchat.attempts", attempts);
        Log.DeadLettered(logger, progress.Partition, offset, attempts, reason);
        metrics.DeadLettered(invalid: frame is null);
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var headers = Headers(record, progress.Partition, reason, attempts, now);
        var ack = frame is not null
            ? handler.Reject(frame, new InboundPosition(progress.Partition, offset), now, new Rejection(
                AckErrorNames.InternalServerError,
                $"The request could not be processed after {attempts} tries and was set aside."))
            : null;
        var remaining = new RecordCompletion(ack is null ? 1 : 2);
        var dead = new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value, Headers = headers };
        await producer.ProduceAsync(topics.DeadLetter, dead, progress, offset, remaining, token).ConfigureAwait(false);
        if (ack is not null)
        {
            ack.TraceParent = activity?.Id ?? ack.TraceParent;
            var message = DeliveryProducer.ToMessage(PartitionKeys.ForDelivery(ack, record.Message.Key), ack, activity);
            await producer.ProduceAsync(topics.Outbound, message, progress, offset, remaining, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The headers of a dead-lettered record: its own, then the reason, the tries, where it was read from and when it
    /// was set aside (Unix milliseconds <paramref name="now"/>), as UTF-8 text.
    /// </summary>
    internal static Headers Headers(ConsumeResult<byte[], byte[]> record, int partition, string reason, int attempts, long now)
    {
        var headers = new Headers();
        if (record.Message.Headers is { } original)
        {
            foreach (var header in original)
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(reason));
        headers.Add(DeadLetterHeaders.Attempts, Encoding.UTF8.GetBytes(attempts.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(record.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(record.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.FailedAt, Encoding.UTF8.GetBytes(now.ToString(CultureInfo.InvariantCulture)));
        return headers;
    }
}
