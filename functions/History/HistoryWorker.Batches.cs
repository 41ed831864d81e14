using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Functions.Hosting.Kafka;
using BrokerChat.History;
using Confluent.Kafka;
using Polly;
using Log = BrokerChat.Functions.History.HistoryLog;

namespace BrokerChat.Functions.History;

// A partition's batches: what its lane has queued, up to History:BatchSize, waiting up to History:FlushInterval for a
// batch to fill; the group messages of hubs with history on made into store records; written in one transaction with
// the partition's mark, tried until the database takes them; then their offsets finished for commit. Slot task.
public sealed partial class HistoryWorker
{
    private static readonly ResiliencePropertyKey<(int Partition, long Offset, int Count)> BatchKey = new("brokerchat.history.batch");

    private async Task RunSlotAsync(HistoryLane state, KeySlot slot)
    {
        var token = slot.Lane.Token;
        var batch = new List<ConsumeResult<byte[], byte[]>>(Math.Min(_options.BatchSize, 1024));
        try
        {
            while (await slot.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                batch.Clear();
                await CollectAsync(slot, batch, token).ConfigureAwait(false);
                if (batch.Count > 0)
                {
                    await WriteAsync(state, batch, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Abandoned: what is left is written by whoever owns the partition next.
        }
        catch (Exception ex)
        {
            // A bug here, not a database failure (those are retried): read the partition again from its first unwritten record.
            Log.LaneFailed(_logger, ex, state.Partition);
            slot.Lane.Progress.RequestRewind();
        }
    }

    /// <summary>Takes what is queued, up to a batch, then waits up to the flush interval for the batch to fill.</summary>
    private async Task CollectAsync(KeySlot slot, List<ConsumeResult<byte[], byte[]>> batch, CancellationToken token)
    {
        while (batch.Count < _options.BatchSize && slot.Reader.TryRead(out var record))
        {
            batch.Add(record);
        }

        if (batch.Count >= _options.BatchSize || _options.FlushInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var flush = new CancellationTokenSource(_options.FlushInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, flush.Token);
        try
        {
            while (batch.Count < _options.BatchSize && await slot.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                while (batch.Count < _options.BatchSize && slot.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // The flush interval is up: write what there is.
        }
    }

    private async Task WriteAsync(HistoryLane state, List<ConsumeResult<byte[], byte[]>> batch, CancellationToken token)
    {
        var partition = state.Partition;
        var first = batch[0].Offset.Value;
        if (state.Mark is null)
        {
            var mark = await RetryAsync(partition, first, batch.Count,
                (s, ct) => new ValueTask<PartitionMark>(s.Store.StartPartitionAsync(s.State.Partition, s.State.Low, s.State.High, ct)), (Store: _store, State: state), token).ConfigureAwait(false);
            state.Mark = mark;
            if (mark.NextOffset == mark.FirstOffset)
            {
                Log.Epoch(_logger, partition, mark.Epoch, mark.FirstOffset);
            }
        }

        var epoch = state.Mark.Epoch;
        var records = new List<HistoryRecord>(batch.Count);
        var pending = 0;
        foreach (var result in batch)
        {
            switch (Read(result, epoch))
            {
                case { Record: { } record }:
                    records.Add(record);
                    break;
                case { Change: { } change }:
                    // In the room's order: the messages before the change are written (and the mark moved up to it)
                    // first, so the change finds the message it changes. Applied again after a crash, it changes nothing more.
                    if (records.Count > pending)
                    {
                        await WriteRecordsAsync(partition, epoch, first, batch.Count, result.Offset.Value, records[pending..], token).ConfigureAwait(false);
                        pending = records.Count;
                    }

                    await ApplyAsync(partition, result.Offset.Value, change, token).ConfigureAwait(false);
                    break;
            }
        }

        await WriteRecordsAsync(partition, epoch, first, batch.Count, batch[^1].Offset.Value + 1, records[pending..], token).ConfigureAwait(false);
        var progress = state.Lane.Progress;
        foreach (var result in batch)
        {
            _offsets.Finish(progress, result.Offset.Value);
        }
    }

    /// <summary>Writes <paramref name="records"/> with the partition's mark at <paramref name="next"/>, until the database takes them.</summary>
    private async Task WriteRecordsAsync(int partition, int epoch, long first, int count, long next, List<HistoryRecord> records, CancellationToken token)
    {
        var written = await RetryAsync(partition, first, count,
            (s, ct) => new ValueTask<int>(s.Store.WriteBatchAsync(s.Partition, s.Epoch, s.Next, s.Records, ct)),
            (Store: _store, Partition: partition, Epoch: epoch, Next: next, Records: records), token).ConfigureAwait(false);
        Interlocked.Add(ref _written, written);
        _metrics.Written(records.Count, written);
    }

    /// <summary>
    /// The store record of an outbound record that is a group message of a hub with history on, or the change of one
    /// (<see cref="DeliveryCommand.MessageChanged"/>); neither for anything else.
    /// </summary>
    private (HistoryRecord? Record, StoredChange? Change) Read(ConsumeResult<byte[], byte[]> result, int epoch)
    {
        Delivery delivery;
        try
        {
            delivery = ContractSerializer.DeserializeDelivery(result.Message.Value);
        }
        catch (ContractException ex)
        {
            Log.BadRecord(_logger, result.Partition.Value, result.Offset.Value, ex.Message);
            return default;
        }

        if (delivery is not { Target: DeliveryTarget.Group, Group: { } group } || delivery.MessageId.Length == 0 || !_options.IsEnabled(delivery.Hub))
        {
            return default;
        }

        if (delivery.Command == DeliveryCommand.MessageChanged)
        {
            return (null, ToChange(delivery, group));
        }

        // A message sent with a time to live is not history: it is served from the connectors' memory while it lives.
        if (delivery is not { HasMessage: true, Command: DeliveryCommand.None, Payload: { } payload, ExpiresAt: 0 })
        {
            return default;
        }

        string[]? excluded = delivery.ExcludedConnectionId is { } sender
            ? [sender, .. delivery.ExcludedConnectionIds ?? []]
            : delivery.ExcludedConnectionIds;
        return (new HistoryRecord(delivery.Hub, group, delivery.MessageId, epoch, result.Partition.Value, result.Offset.Value,
            delivery.FromUserId, delivery.DataType, payload, delivery.ProducedAt, excluded, delivery.Filter), null);
    }

    /// <summary>Runs a store call until it succeeds (or the lane is abandoned), with the backoff of <see cref="HistoryOptions.RetryDelay"/>.</summary>
    private async ValueTask<TResult> RetryAsync<TState, TResult>(
        int partition, long offset, int count, Func<TState, CancellationToken, ValueTask<TResult>> call, TState state, CancellationToken token)
    {
        var context = ResilienceContextPool.Shared.Get(token);
        context.Properties.Set(BatchKey, (partition, offset, count));
        try
        {
            return await _retry.ExecuteAsync(static (ctx, s) => s.Call(s.State, ctx.CancellationToken), context, (Call: call, State: state)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
