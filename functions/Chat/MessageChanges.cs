using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// The delivery of an accepted edit or delete of a group message (<see cref="DeliveryCommand.MessageChanged"/>): to the
/// group, so every connector tells the members it holds and the history function applies it to the store. A client's
/// change names its sender (the store applies it only to the sender's own message) and carries the sender's ack; the
/// REST API's names nobody, as the application's backend may change any message.
/// </summary>
internal static class MessageChanges
{
    /// <summary>The change announcement for <paramref name="frame"/> (one of the four change kinds), read from <paramref name="position"/>.</summary>
    public static Delivery Changed(InboundFrame frame, InboundPosition position, long now)
    {
        var edit = frame.Kind is InboundKind.EditMessage or InboundKind.ServerEditMessage;
        var client = frame.Kind is InboundKind.EditMessage or InboundKind.DeleteMessage;
        var ackId = client ? frame.AckId : null;
        return new Delivery
        {
            Target = DeliveryTarget.Group,
            Hub = frame.Hub,
            Group = frame.Group,
            MessageId = position.MessageId(),
            Command = DeliveryCommand.MessageChanged,
            HasMessage = false,
            ChangedMessageId = frame.ChangedMessageId,
            Change = edit ? MessageChange.Edited : MessageChange.Deleted,
            DataType = edit ? frame.DataType : DataType.Json,
            Payload = edit ? frame.Payload : null,
            ProducedAt = now,
            FromUserId = client ? frame.UserId : null,
            Ack = ackId is { } id ? AckOutcome.Succeeded(frame.ConnectionId, id) : null,
            AckConnectorId = ackId is null ? null : frame.ConnectorId,
            ReceivedAt = frame.ReceivedAt,
            TraceParent = frame.TraceParent,
        };
    }
}
