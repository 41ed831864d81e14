using BrokerChat.Contracts.Messages;
using BrokerChat.History;

namespace BrokerChat.Connector.History;

/// <summary>A message a resuming session is given, read at <paramref name="Offset"/> of the room's partition; <paramref name="FromStore"/> when the store had it and the room's memory no longer did.</summary>
internal readonly record struct CatchUpMessage(long Offset, Delivery Delivery, bool FromStore);

/// <summary>
/// Joins what the history store read for a resuming session (a room's messages from the session's position on) with
/// what the connector's memory still holds of the room, so the session is given every missed message once, in offset
/// order: the store's messages before the memory's first offset, then the memory's.
/// </summary>
internal static class StoredCatchUp
{
    /// <summary>
    /// The room's messages from the store read's position on: the stored ones before <paramref name="memoryFrom"/>
    /// (where the memory is complete from), then <paramref name="memory"/> (the memory's messages, oldest first).
    /// A message the store holds as deleted is left out, from either part; a message whose id the stored part already
    /// gave (the functions handled its request twice) is not given again. Null when the two do not join: the store
    /// did not cover the position, or has not written up to <paramref name="memoryFrom"/>, so messages in between
    /// would be missing.
    /// </summary>
    public static IReadOnlyList<CatchUpMessage>? Merge(RecoveryRead stored, long memoryFrom, IEnumerable<(long Offset, Delivery Delivery)> memory)
    {
        if (!stored.Covered || stored.WrittenTo < memoryFrom)
        {
            return null;
        }

        var merged = new List<CatchUpMessage>(stored.Messages.Count);
        var given = new HashSet<string>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in stored.Messages)
        {
            if (message.IsDeleted)
            {
                deleted.Add(message.MessageId);
            }
            else if (message.Offset < memoryFrom && given.Add(message.MessageId))
            {
                merged.Add(new CatchUpMessage(message.Offset, message.ToDelivery(), true));
            }
        }

        foreach (var (offset, delivery) in memory)
        {
            if (offset >= memoryFrom && !given.Contains(delivery.MessageId) && !deleted.Contains(delivery.MessageId))
            {
                merged.Add(new CatchUpMessage(offset, delivery, false));
            }
        }

        return merged;
    }
}
