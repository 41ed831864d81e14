using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Moderation;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// The chat function: one client request in, the deliveries to publish out. Plain code with no Kafka in it, so
/// any trigger can host it (the Kafka consumer loop here, an HTTP custom handler, a test). A request that passes
/// the <see cref="FrameValidator"/> then goes through the <see cref="MessageModeration"/> rules, when there are any.
/// </summary>
public sealed class ChatFunction(FrameValidator validator, TimeProvider timeProvider, MessageModeration? moderation = null)
{
    /// <summary>Handles one request. Never throws for bad input: a rejection is an ack error for the sender.</summary>
    public IReadOnlyList<Delivery> Handle(InboundFrame frame, InboundPosition position)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        if (frame.Kind == InboundKind.Presence)
        {
            // A connector's own record, not a client's request: relayed, not validated as one.
            return PresenceRelay.Handle(frame, position, now);
        }

        if (ServerRequestRelay.IsServerRequest(frame.Kind))
        {
            // The REST API's request, from the application's backend: relayed to the connectors, without roles or moderation.
            return ServerRequestRelay.Handle(frame, position, now, validator);
        }

        var rejection = validator.Validate(frame) ?? moderation?.Check(frame);
        if (rejection is { } error)
        {
            return AckDeliveries.Rejected(frame, position, now, error) is { } ack ? [ack] : [];
        }

        switch (frame.Kind)
        {
            case InboundKind.SendToGroup:
                return
                [
                    new Delivery
                    {
                        Target = DeliveryTarget.Group,
                        Hub = frame.Hub,
                        Group = frame.Group,
                        ExcludedConnectionId = frame.NoEcho ? frame.ConnectionId : null,
                        MessageId = position.MessageId(),
                        DataType = frame.DataType,
                        Payload = frame.Payload,
                        ProducedAt = now,
                        FromUserId = frame.UserId,
                        Ack = frame.AckId is { } ackId ? AckOutcome.Succeeded(frame.ConnectionId, ackId) : null,
                        AckConnectorId = frame.AckId is null ? null : frame.ConnectorId,
                        ReceivedAt = frame.ReceivedAt,
                        TraceParent = frame.TraceParent,
                    },
                ];

            case InboundKind.Event:
                // Events are accepted: the application's own handlers consume them from the inbound topic.
                return frame.AckId is { } eventAckId
                    ? [AckDeliveries.AckOnly(frame, position, now, AckOutcome.Succeeded(frame.ConnectionId, eventAckId))]
                    : [];

            default:
                throw new InvalidOperationException($"The validator let through an unknown kind {frame.Kind}.");
        }
    }
}
