using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// Passes connectors' presence records (<see cref="InboundKind.Presence"/>) on to every connector: each becomes one
/// <see cref="DeliveryTarget.Presence"/> delivery with the same key, so it stays in order with its rooms' messages.
/// They come from connectors rather than clients, so the rules for client requests do not apply; a record that is not
/// a well-formed join, leave or snapshot is dropped (there is no sender to answer).
/// </summary>
internal static class PresenceRelay
{
    /// <summary>Most members one snapshot record may carry (connectors send far fewer per chunk).</summary>
    public const int MaxSnapshotMembers = 10_000;

    private const int MaxIdLength = 256;

    /// <summary>The delivery for a presence record, or none when it is malformed.</summary>
    public static IReadOnlyList<Delivery> Handle(InboundFrame frame, InboundPosition position, long now)
    {
        if (!IsWellFormed(frame))
        {
            return [];
        }

        return
        [
            new Delivery
            {
                Target = DeliveryTarget.Presence,
                Hub = frame.Hub,
                Group = frame.Group,
                MessageId = position.MessageId(),
                ProducedAt = now,
                ReceivedAt = frame.ReceivedAt,
                HasMessage = false,
                Presence = frame.Presence,
            },
        ];
    }

    private static bool IsWellFormed(InboundFrame frame)
    {
        if (frame.Presence is not { } change || !IsId(change.ConnectorId))
        {
            return false;
        }

        switch (change.Action)
        {
            case PresenceAction.Join or PresenceAction.Leave:
                return HubNames.IsValid(frame.Hub) && GroupNames.IsValid(frame.Group) && IsId(change.ConnectionId);
            case PresenceAction.Snapshot:
                if (change.Members is not { Length: <= MaxSnapshotMembers } members || change.Partition < 0)
                {
                    return false;
                }

                foreach (var member in members)
                {
                    if (member is null || !HubNames.IsValid(member.Hub) || !GroupNames.IsValid(member.Group) || !IsId(member.ConnectionId))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false; // beacons and sync requests go straight to the outbound topic
        }
    }

    private static bool IsId(string? id) => !string.IsNullOrEmpty(id) && id.Length <= MaxIdLength;
}
