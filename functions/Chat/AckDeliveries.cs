using BrokerChat.Contracts.Messages;

namespace BrokerChat.Functions.Chat;

/// <summary>
/// Builds the deliveries that carry nothing but a request's outcome back to its sender: an accepted event, a request
/// the function rejected, a request a host gave up on. Such a delivery goes to the sender's connection on the
/// connector that published the request, with the request's message id (so a repeat is dropped like any other) and
/// <see cref="Delivery.HasMessage"/> false.
/// </summary>
public static class AckDeliveries
{
    /// <summary>The ack-only delivery for <paramref name="frame"/>, read from <paramref name="position"/>, carrying <paramref name="outcome"/>.</summary>
    /// <param name="frame">The request.</param>
    /// <param name="position">Where the request was read; the delivery's message id comes from it.</param>
    /// <param name="now">The delivery's <see cref="Delivery.ProducedAt"/>, in Unix milliseconds.</param>
    /// <param name="outcome">The ack: success, or an error with its name and message.</param>
    public static Delivery AckOnly(InboundFrame frame, InboundPosition position, long now, AckOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new Delivery
        {
            Target = DeliveryTarget.Connection,
            Hub = frame.Hub,
            ConnectionId = frame.ConnectionId,
            MessageId = position.MessageId(),
            ProducedAt = now,
            Ack = outcome,
            AckConnectorId = frame.ConnectorId,
            ReceivedAt = frame.ReceivedAt,
            TraceParent = frame.TraceParent,
            HasMessage = false,
        };
    }

    /// <summary>
    /// The ack error that tells the sender of <paramref name="frame"/> its request was refused for
    /// <paramref name="rejection"/>, or null when the sender asked for no ack (the request has no ack id).
    /// </summary>
    /// <param name="frame">The request.</param>
    /// <param name="position">Where the request was read; the delivery's message id comes from it.</param>
    /// <param name="now">The delivery's <see cref="Delivery.ProducedAt"/>, in Unix milliseconds.</param>
    /// <param name="rejection">The ack error's name and message.</param>
    public static Delivery? Rejected(InboundFrame frame, InboundPosition position, long now, Rejection rejection)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Kind == InboundKind.Invoke)
        {
            return frame.InvocationId is null ? null : InvokeFailed(frame, position.MessageId(), now, rejection);
        }

        return frame.AckId is { } ackId
            ? AckOnly(frame, position, now, AckOutcome.Failed(frame.ConnectionId, ackId, rejection.Name, rejection.Message))
            : null;
    }

    /// <summary>The answer to the invocation <paramref name="frame"/>: its result, of <paramref name="dataType"/> (none when <paramref name="payload"/> is null).</summary>
    public static Delivery InvokeSucceeded(InboundFrame frame, string messageId, long now, DataType dataType, byte[]? payload)
    {
        var delivery = InvokeResponse(frame, messageId, now);
        delivery.DataType = dataType;
        delivery.Payload = payload;
        return delivery;
    }

    /// <summary>The error answer to the invocation <paramref name="frame"/>.</summary>
    public static Delivery InvokeFailed(InboundFrame frame, string messageId, long now, Rejection error)
    {
        var delivery = InvokeResponse(frame, messageId, now);
        delivery.ErrorName = error.Name;
        delivery.ErrorMessage = error.Message;
        return delivery;
    }

    private static Delivery InvokeResponse(InboundFrame frame, string messageId, long now)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new Delivery
        {
            Target = DeliveryTarget.Connection,
            Hub = frame.Hub,
            ConnectionId = frame.ConnectionId,
            Command = DeliveryCommand.InvokeResponse,
            InvocationId = frame.InvocationId,
            MessageId = messageId,
            ProducedAt = now,
            AckConnectorId = frame.ConnectorId,
            ReceivedAt = frame.ReceivedAt,
            TraceParent = frame.TraceParent,
            HasMessage = false,
        };
    }
}
