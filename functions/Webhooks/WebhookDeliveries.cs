using System.Text.Unicode;
using BrokerChat.Contracts.Messages;
using BrokerChat.EventHandlers;
using BrokerChat.Functions.Chat;

namespace BrokerChat.Functions.Webhooks;

/// <summary>
/// The deliveries an event handler's answer to a client's event makes, to that client's connection on the connector
/// that published it: its reply as a message from the server (with the sender's ack), its new connection state, the
/// ack error or invocation error of a refusal, or the close of a connection that cannot be told otherwise. Message ids
/// come from the record (the state's is the record's second), so a retry makes the same ones.
/// </summary>
internal static class WebhookDeliveries
{
    /// <summary>
    /// The handler's 2xx answer to the event <paramref name="frame"/>: a message to the sender with the body, of the data
    /// type its media type names (carrying the sender's ack when it asked for one); the ack alone when the body is empty
    /// (a 204 or an empty 200); nothing when the sender asked for no ack and there is no body.
    /// </summary>
    public static Delivery? Answer(InboundFrame frame, InboundPosition position, long now, EventHandlerResponse response, DataType dataType)
    {
        var ack = frame.AckId is { } ackId ? AckOutcome.Succeeded(frame.ConnectionId, ackId) : null;
        if (response.Body.Length == 0)
        {
            return ack is null ? null : AckDeliveries.AckOnly(frame, position, now, ack);
        }

        var reply = ToConnection(frame, position.MessageId(), now);
        reply.DataType = dataType;
        reply.Payload = response.Body;
        reply.HasMessage = true;
        reply.Ack = ack;
        return reply;
    }

    /// <summary>
    /// The handler refused the event <paramref name="frame"/> (a status below 500 that is not 2xx): an ack error
    /// <see cref="AckErrorNames.InvocationFailed"/> when the sender asked for an ack, an invocation error for an
    /// invocation, and otherwise the close of the connection, as Azure Web PubSub drops a connection it cannot tell (a
    /// simple WebSocket client, or a fire-and-forget event).
    /// </summary>
    public static Delivery Refused(InboundFrame frame, InboundPosition position, long now, Rejection rejection)
    {
        if (frame.Kind == InboundKind.Invoke && frame.InvocationId is not null)
        {
            return AckDeliveries.InvokeFailed(frame, position.MessageId(), now, rejection);
        }

        return frame.AckId is { } ackId
            ? AckDeliveries.AckOnly(frame, position, now, AckOutcome.Failed(frame.ConnectionId, ackId, rejection.Name, rejection.Message))
            : Close(frame, position, now, rejection.Message);
    }

    /// <summary>Closes the sender's connection, for <paramref name="reason"/>.</summary>
    public static Delivery Close(InboundFrame frame, InboundPosition position, long now, string reason)
    {
        var close = ToConnection(frame, position.MessageId(), now);
        close.Command = DeliveryCommand.Close;
        close.Reason = reason;
        return close;
    }

    /// <summary>
    /// The sender's connection state as the handler set it (<c>ce-connectionState</c>), for the connector to keep and
    /// put on the connection's later records; an empty value clears it.
    /// </summary>
    public static Delivery State(InboundFrame frame, InboundPosition position, long now, string state)
    {
        var delivery = ToConnection(frame, position.MessageId(1), now);
        delivery.Command = DeliveryCommand.SetConnectionState;
        delivery.ConnectionState = state.Length == 0 ? null : state;
        return delivery;
    }

    /// <summary>
    /// The data type a reply is delivered as: the one its media type names when the body is valid as such; else text
    /// when it is UTF-8, else binary, so a client is never sent a frame its protocol cannot carry.
    /// </summary>
    public static DataType DataTypeOf(EventHandlerResponse response)
    {
        var named = response.DataType;
        var body = response.Body;
        return named switch
        {
            DataType.Json when JsonPayload.IsSingleValue(body) => DataType.Json,
            DataType.Json or DataType.Text when Utf8.IsValid(body) => DataType.Text,
            DataType.Json or DataType.Text => DataType.Binary,
            _ => named,
        };
    }

    private static Delivery ToConnection(InboundFrame frame, string messageId, long now) => new()
    {
        Target = DeliveryTarget.Connection,
        Hub = frame.Hub,
        ConnectionId = frame.ConnectionId,
        MessageId = messageId,
        ProducedAt = now,
        AckConnectorId = frame.ConnectorId,
        ReceivedAt = frame.ReceivedAt,
        TraceParent = frame.TraceParent,
        HasMessage = false,
    };
}
