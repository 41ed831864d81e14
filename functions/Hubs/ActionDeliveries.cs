using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;

namespace BrokerChat.Functions.Hubs;

/// <summary>
/// Turns a handler's <see cref="HubAction"/>s into the deliveries the connectors carry out: the same records the REST
/// API's requests become, so a send, a group change or a close from a handler behaves exactly like one from the
/// application's backend. Message ids are the request's, numbered from 1 (0 is the request's own answer).
/// </summary>
internal static class ActionDeliveries
{
    /// <summary>Appends the deliveries of <paramref name="actions"/>, made while handling <paramref name="frame"/>, to <paramref name="into"/>.</summary>
    public static void Append(List<Delivery> into, IReadOnlyList<HubAction> actions, InboundFrame frame, InboundPosition position, long now)
    {
        for (var i = 0; i < actions.Count; i++)
        {
            into.Add(ToDelivery(actions[i], frame, position.MessageId(i + 1), now));
        }
    }

    private static Delivery ToDelivery(HubAction action, InboundFrame frame, string messageId, long now)
    {
        var delivery = new Delivery
        {
            Hub = frame.Hub,
            MessageId = messageId,
            ProducedAt = now,
            ReceivedAt = frame.ReceivedAt,
            TraceParent = frame.TraceParent,
            Group = action.Group,
            UserId = action.UserId,
            ConnectionId = action.ConnectionId,
            ExcludedConnectionIds = action.Excluded.Count > 0 ? [.. action.Excluded] : null,
            Reason = action.Reason,
        };
        (delivery.Target, delivery.Command) = action.Kind switch
        {
            HubActionKind.SendToAll => (DeliveryTarget.All, DeliveryCommand.None),
            HubActionKind.SendToGroup => (DeliveryTarget.Group, DeliveryCommand.None),
            HubActionKind.SendToUser => (DeliveryTarget.User, DeliveryCommand.None),
            HubActionKind.SendToConnection => (DeliveryTarget.Connection, DeliveryCommand.None),
            HubActionKind.AddConnectionToGroup => (DeliveryTarget.Connection, DeliveryCommand.AddToGroup),
            HubActionKind.RemoveConnectionFromGroup => (DeliveryTarget.Connection, DeliveryCommand.RemoveFromGroup),
            HubActionKind.AddUserToGroup => (DeliveryTarget.User, DeliveryCommand.AddToGroup),
            HubActionKind.RemoveUserFromGroup => (DeliveryTarget.User, DeliveryCommand.RemoveFromGroup),
            HubActionKind.CloseConnection => (DeliveryTarget.Connection, DeliveryCommand.Close),
            HubActionKind.CloseUserConnections => (DeliveryTarget.User, DeliveryCommand.Close),
            HubActionKind.CloseGroupConnections => (DeliveryTarget.Group, DeliveryCommand.Close),
            _ => throw new InvalidOperationException($"Unknown action {action.Kind}."),
        };
        if (action.Data is { } data)
        {
            delivery.DataType = data.DataType;
            delivery.Payload = data.ToArray();
        }
        else
        {
            delivery.HasMessage = false;
        }

        return delivery;
    }
}
