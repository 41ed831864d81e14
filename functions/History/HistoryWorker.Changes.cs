using BrokerChat.Contracts.Messages;
using BrokerChat.History;
using Log = BrokerChat.Functions.History.HistoryLog;

namespace BrokerChat.Functions.History;

// Changes: an edit or a delete of a group message (DeliveryCommand.MessageChanged), applied to the store in the room's
// order. A client's change names its sender and is applied only to the sender's own message (checked again here: the
// connector checked the read model before producing it); the backend's names nobody and may change any message. The
// edit's time is the delivery's, so a change read again after a crash writes the same row: an edit the same content
// and time, a delete nothing (the message is a tombstone already).
public sealed partial class HistoryWorker
{
    /// <summary>The store change a <see cref="DeliveryCommand.MessageChanged"/> delivery asks for; null when it is malformed.</summary>
    private static StoredChange? ToChange(Delivery delivery, string group) =>
        delivery is { ChangedMessageId: { Length: > 0 } id, Change: MessageChange.Edited or MessageChange.Deleted }
        && (delivery.Change == MessageChange.Deleted || delivery.Payload is not null)
            ? new StoredChange(delivery.Hub, group, id, delivery.FromUserId, delivery.Change, delivery.DataType, delivery.Payload, delivery.ProducedAt)
            : null;

    /// <summary>Applies one change, until the database answers; a change the store refuses (no such message, not the sender's) is logged and dropped.</summary>
    private async Task ApplyAsync(int partition, long offset, StoredChange change, CancellationToken token)
    {
        var outcome = await RetryAsync(partition, offset, 1, (s, ct) => new ValueTask<HistoryChangeOutcome>(s.Change.Change == MessageChange.Edited
                ? s.Store.EditAsync(s.Change.Hub, s.Change.Group, s.Change.MessageId, s.Change.ByUserId, s.Change.DataType, s.Change.Payload!, s.Change.At, ct)
                : s.Store.DeleteAsync(s.Change.Hub, s.Change.Group, s.Change.MessageId, s.Change.ByUserId, s.Change.At, ct)),
            (Store: _store, Change: change), token).ConfigureAwait(false);
        if (outcome != HistoryChangeOutcome.Applied)
        {
            Log.ChangeNotApplied(_logger, change.Change == MessageChange.Edited ? "edit" : "delete", change.MessageId, change.Group, change.Hub, outcome.ToString());
        }
    }

    /// <summary>An edit or a delete of the room's message <paramref name="MessageId"/>, by <paramref name="ByUserId"/> (null: the backend), at <paramref name="At"/> (Unix ms).</summary>
    private sealed record StoredChange(string Hub, string Group, string MessageId, string? ByUserId, MessageChange Change, DataType DataType, byte[]? Payload, long At);
}
