using System.Diagnostics;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Functions.Chat;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

// One record on its key slot: read as a request, run through the handler with retries, its deliveries produced to the
// outbound topic (each keyed by what it is about); a record that is not a request, or one the handler kept failing
// on, is set aside on the dead-letter topic instead. Slot task.
public sealed partial class KafkaFunctionWorker
{
    private async ValueTask HandleAsync(KeySlot slot, ConsumeResult<byte[], byte[]> record, CancellationToken token)
    {
        if (Read(record, out var invalid) is { } frame)
        {
            if (!SkipIfUnanswerable(slot, record, frame))
            {
                await HandleAsync(slot, record, frame, token).ConfigureAwait(false);
            }
        }
        else
        {
            await SetAsideInvalidAsync(slot, record, invalid!, token).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the handler on one request alone, with its own retries.</summary>
    private async ValueTask HandleAsync(KeySlot slot, ConsumeResult<byte[], byte[]> record, InboundFrame frame, CancellationToken token)
    {
        var progress = slot.Lane.Progress;
        using var activity = FunctionsTelemetry.Source.HasListeners() ? StartProcessActivity(record, frame, slot.Partition) : null;
        IReadOnlyList<Delivery> outputs;
        try
        {
            outputs = await _retry.HandleAsync(_handler, slot, frame, new InboundPosition(slot.Partition, record.Offset.Value), token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            _metrics.Failed();
            await _deadLetters.WriteAsync(progress, record, frame, $"{ex.GetType().Name}: {ex.Message}", slot.Attempts, activity, token).ConfigureAwait(false);
            return;
        }

        await CompleteAsync(slot, record, outputs, activity, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes, without handling it, a request read after its connector stopped waiting for its outcome
    /// (<see cref="InboundFrame.AnswerBy"/>): its sender was told <c>Timeout</c>, so it is not delivered late and no
    /// work is spent on it, which lets a backlog left by a flood drain fast. True when it was skipped.
    /// </summary>
    private bool SkipIfUnanswerable(KeySlot slot, ConsumeResult<byte[], byte[]> record, InboundFrame frame)
    {
        if (!frame.HasPassedAnswerBy(_time))
        {
            return false;
        }

        Interlocked.Increment(ref _expired);
        _metrics.Expired();
        _offsets.Finish(slot.Lane.Progress, record.Offset.Value);
        return true;
    }

    /// <summary>The request <paramref name="record"/> holds, or null when it is not a valid one (<paramref name="invalid"/> says why).</summary>
    private static InboundFrame? Read(ConsumeResult<byte[], byte[]> record, out string? invalid)
    {
        invalid = null;
        try
        {
            return ContractSerializer.DeserializeInbound(record.Message.Value);
        }
        catch (ContractException ex)
        {
            invalid = ex.Message;
            return null;
        }
    }

    private async ValueTask SetAsideInvalidAsync(KeySlot slot, ConsumeResult<byte[], byte[]> record, string invalid, CancellationToken token)
    {
        using var activity = FunctionsTelemetry.Source.HasListeners() ? StartProcessActivity(record, null, slot.Partition) : null;
        Log.PoisonRecord(_logger, slot.Partition, record.Offset.Value, invalid);
        _metrics.Poison();
        await _deadLetters.WriteAsync(slot.Lane.Progress, record, null, $"Not a valid request: {invalid}", 1, activity, token).ConfigureAwait(false);
    }

    /// <summary>A handled request: its deliveries produced, each keyed by what it is about, or the record finished when it made none.</summary>
    private async ValueTask CompleteAsync(KeySlot slot, ConsumeResult<byte[], byte[]> record, IReadOnlyList<Delivery>? outputs, Activity? activity, CancellationToken token)
    {
        outputs ??= [];
        Interlocked.Increment(ref _processed);
        _metrics.Processed(outputs.Count > 0 && outputs[0].HasMessage);
        activity?.SetTag("brokerchat.attempts", slot.Attempts);
        if (outputs.Count == 0)
        {
            _offsets.Finish(slot.Lane.Progress, record.Offset.Value);
            return;
        }

        await _producer.ProduceDeliveriesAsync(_factory.Topics.Outbound, record.Message.Key, outputs, activity, slot.Lane.Progress, record.Offset.Value, token).ConfigureAwait(false);
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
