using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Moderation;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// The chat function: one client request in, the deliveries to publish out. Plain code with no Kafka in it, so
/// any trigger can host it (the Kafka consumer loop here, an HTTP custom handler, a test). A request that passes
/// the <see cref="FrameValidator"/> then goes through the <see cref="MessageModeration"/> rules, when there are any.
/// </summary>
/// <remarks>
/// <see cref="Handle"/> is the whole function. The application's hubs (<c>Hubs/</c>) run between its two halves:
/// <see cref="Check"/> decides whether a client's request is accepted, and <see cref="Accepted"/> or
/// <see cref="Rejected"/> makes the deliveries that say so.
/// </remarks>
public sealed class ChatFunction(FrameValidator validator, TimeProvider timeProvider, MessageModeration? moderation = null)
{
    /// <summary>The current time, as deliveries carry it (Unix milliseconds).</summary>
    public long Now => timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Whether a frame is a connector's or the REST API's record, relayed as it is rather than checked as a client's request.</summary>
    public static bool IsRelayed(InboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Kind == InboundKind.Presence || ServerRequestRelay.IsServerRequest(frame.Kind);
    }

    /// <summary>Handles one request. Never throws for bad input: a rejection is an ack error for the sender.</summary>
    public IReadOnlyList<Delivery> Handle(InboundFrame frame, InboundPosition position)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (IsRelayed(frame))
        {
            return Relay(frame, position);
        }

        return Check(frame) is { } rejection ? Rejected(frame, position, rejection) : Accepted(frame, position);
    }

    /// <summary>The deliveries of a relayed record (<see cref="IsRelayed"/>): a presence record or a REST request.</summary>
    public IReadOnlyList<Delivery> Relay(InboundFrame frame, InboundPosition position)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Kind == InboundKind.Presence
            // A connector's own record, not a client's request: relayed, not validated as one.
            ? PresenceRelay.Handle(frame, position, Now)
            // The REST API's request, from the application's backend: relayed to the connectors, without roles or moderation.
            : ServerRequestRelay.Handle(frame, position, Now, validator);
    }

    /// <summary>
    /// Null when a client's request (or a connector's connection record) is accepted, or why it is not: the
    /// <see cref="FrameValidator"/>, then the moderation rules for what clients send.
    /// </summary>
    public Rejection? Check(InboundFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return validator.Validate(frame) ?? (IsClientContent(frame.Kind) ? moderation?.Check(frame) : null);
    }

    /// <summary>
    /// What an accepted request makes when no application handler takes it: a group message for
    /// <c>sendToGroup</c>, the group's change announcement for an edit or a delete, the sender's ack for an event, a <c>NotFound</c> answer for an invocation, nothing for a
    /// connection record or a cancel.
    /// </summary>
    public IReadOnlyList<Delivery> Accepted(InboundFrame frame, InboundPosition position)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var now = Now;
        switch (frame.Kind)
        {
            case InboundKind.SendToGroup:
                return [GroupMessage(frame, position.MessageId(), frame.DataType, frame.Payload, now)];

            case InboundKind.Event:
                // Accepted: the application's hubs (or its own consumers of the inbound topic) act on events.
                return frame.AckId is { } eventAckId
                    ? [AckDeliveries.AckOnly(frame, position, now, AckOutcome.Succeeded(frame.ConnectionId, eventAckId))]
                    : [];

            case InboundKind.Invoke:
                return [AckDeliveries.InvokeFailed(frame, position.MessageId(), now, new Rejection(AckErrorNames.NotFound,
                    $"No handler answers invocations of event '{frame.EventName}' on hub '{frame.Hub}'."))];

            case InboundKind.EditMessage or InboundKind.DeleteMessage:
                return [MessageChanges.Changed(frame, position, now)];

            case InboundKind.Connected or InboundKind.Disconnected or InboundKind.CancelInvocation:
                return [];

            default:
                throw new InvalidOperationException($"The validator let through an unknown kind {frame.Kind}.");
        }
    }

    /// <summary>What a rejected request makes: an ack error (or an invocation's error) for its sender, when it can be answered.</summary>
    public IReadOnlyList<Delivery> Rejected(InboundFrame frame, InboundPosition position, Rejection rejection) =>
        AckDeliveries.Rejected(frame, position, Now, rejection) is { } ack ? [ack] : [];

    /// <summary>
    /// The delivery of a client's group message with <paramref name="payload"/> (the sender's, or a rewrite of it),
    /// carrying the sender's ack.
    /// </summary>
    public static Delivery GroupMessage(InboundFrame frame, string messageId, DataType dataType, byte[] payload, long now)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new Delivery
        {
            Target = DeliveryTarget.Group,
            Hub = frame.Hub,
            Group = frame.Group,
            ExcludedConnectionId = frame.NoEcho ? frame.ConnectionId : null,
            MessageId = messageId,
            DataType = dataType,
            Payload = payload,
            ProducedAt = now,
            FromUserId = frame.UserId,
            Ack = frame.AckId is { } ackId ? AckOutcome.Succeeded(frame.ConnectionId, ackId) : null,
            AckConnectorId = frame.AckId is null ? null : frame.ConnectorId,
            ReceivedAt = frame.ReceivedAt,
            TraceParent = frame.TraceParent,
        };
    }

    private static bool IsClientContent(InboundKind kind) => kind is InboundKind.SendToGroup or InboundKind.Event or InboundKind.Invoke or InboundKind.EditMessage;
}
