using System.Diagnostics;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using Confluent.Kafka;
using Log = BrokerChat.Functions.Hosting.Kafka.KafkaWorkerLog;

namespace BrokerChat.Functions.Hosting.Kafka;

// Several records a key slot found queued at once, handed to the handler in one HandleBatchAsync call with the retry
// policy applied to the whole call; when its tries run out, each record is tried alone with tries of its own, so only
// the one that keeps failing is set aside. Each record's deliveries are produced and finished as a lone record's are.
// Slot task.
public sealed partial class KafkaFunctionWorker
{
    private async ValueTask HandleBatchAsync(KeySlot slot, List<ConsumeResult<byte[], byte[]>> records, CancellationToken token)
    {
        var requests = new List<ConsumeResult<byte[], byte[]>>(records.Count);
        var frames = new List<InboundFrame>(records.Count);
        foreach (var record in records)
        {
            // A record that is no request has nothing to share a call with: it is set aside on its own.
            if (Read(record, out var invalid) is { } frame)
            {
                if (!SkipIfUnanswerable(slot, record, frame))
                {
                    requests.Add(record);
                    frames.Add(frame);
                }
            }
            else
            {
                await SetAsideInvalidAsync(slot, record, invalid!, token).ConfigureAwait(false);
            }
        }

        if (frames.Count <= 1)
        {
            if (frames.Count == 1)
            {
                await HandleAsync(slot, requests[0], frames[0], token).ConfigureAwait(false);
            }

            return;
        }

        var positions = requests.Select(r => new InboundPosition(slot.Partition, r.Offset.Value)).ToArray();
        var started = DateTime.UtcNow;
        IReadOnlyList<IReadOnlyList<Delivery>> outputs;
        try
        {
            outputs = await RequestRetryPolicy.HandleBatchAsync(_handler, slot, frames, positions, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
        {
            _metrics.Failed();
            Log.BatchFallback(_logger, slot.Partition, positions[0].Offset, frames.Count, $"{ex.GetType().Name}: {ex.Message}");
            for (var i = 0; i < frames.Count; i++)
            {
                token.ThrowIfCancellationRequested();
                await HandleAsync(slot, requests[i], frames[i], token).ConfigureAwait(false);
            }

            return;
        }

        for (var i = 0; i < frames.Count; i++)
        {
            // Each record's span covers the batch call it was part of, under the record's own trace.
            using var activity = FunctionsTelemetry.Source.HasListeners() ? StartProcessActivity(requests[i], frames[i], slot.Partition) : null;
            activity?.SetStartTime(started);
            activity?.SetTag("brokerchat.batch.size", frames.Count);
            await CompleteAsync(slot, requests[i], outputs[i], activity, token).ConfigureAwait(false);
        }
    }
}
