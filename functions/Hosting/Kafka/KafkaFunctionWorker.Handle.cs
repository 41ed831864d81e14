using System.Diagnostics;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Functions.Chat;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

// One record on its lane: read as a request, run through the handler with retries, its deliveries produced to the
// outbound topic; a record that is not a request, or one the handler kept failing on, is set aside on the
// dead-letter topic instead. Lane task.
public sealed partial class KafkaFunctionWorker
{
    private async ValueTask HandleAsync(PartitionLane lane, ConsumeResult<byte[], byte[]> record, CancellationToken token)
    {
        var offset = record.Offset.Value;
        var position = new InboundPosition(lane.Partition, offset);
        lane.Current = offset;
        InboundFrame? frame = null;
        string? invalid = null;
        try
        {
            frame = ContractSerializer.DeserializeInbound(record.Message.Value);
        }
        catch (ContractException ex)
        {
            invalid = ex.Message;
        }

        using var activity = FunctionsTelemetry.Source.HasListeners() ? StartProcessActivity(record, frame, lane.Partition) : null;
        if (frame is null)
        {
            Log.PoisonRecord(_logger, lane.Partition, offset, invalid!);
            _metrics.Poison();
            await _deadLetters.WriteAsync(lane.Progress, record, null, $"Not a valid request: {invalid}", 1, activity, token).ConfigureAwait(false);
            return;
        }

        IReadOnlyList<Delivery> outputs;
        try
        {
            outputs = await _retry.HandleAsync(_handler, lane, frame, position, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            _metrics.Failed();
            await _deadLetters.WriteAsync(lane.Progress, record, frame, $"{ex.GetType().Name}: {ex.Message}", lane.Attempts, activity, token).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _processed);
        _metrics.Processed(outputs.Count > 0 && outputs[0].HasMessage);
        activity?.SetTag("brokerchat.attempts", lane.Attempts);
        if (outputs.Count == 0)
        {
            _offsets.Finish(lane.Progress, offset);
            return;
        }

        await _producer.ProduceDeliveriesAsync(_factory.Topics.Outbound, record.Message.Key, outputs, activity, lane.Progress, offset, token).ConfigureAwait(false);
    }

    private Activity? StartProcessActivity(ConsumeResult<byte[], byte[]> record, InboundFrame? frame, int partition)
    {
        var activity = FunctionsTelemetry.Source.StartActivity(
            "brokerchat.inbound process", ActivityKind.Consumer, KafkaTraceContext.Extract(record.Message.Headers, frame?.TraceParent));
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", record.Topic);
            activity.SetTag("messaging.consumer.group.name", _options.GroupId);
            activity.SetTag("messaging.destination.partition.id", partition);
            activity.SetTag("messaging.kafka.offset", record.Offset.Value);
            activity.SetTag("brokerchat.hub", frame?.Hub);
            activity.SetTag("brokerchat.group", frame?.Group);
        }

        return activity;
    }
}
