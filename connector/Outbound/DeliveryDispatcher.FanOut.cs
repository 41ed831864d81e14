using System.Diagnostics;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Filters;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Rest;
using BrokerChat.Connector.Sessions;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;

namespace BrokerChat.Connector.Outbound;

/// <summary>
/// The fan-out of one outbound record, under the outbound gate: a message is encoded once per protocol and the same
/// bytes are queued for every local recipient (reliable ones through <see cref="ReliableSessions"/>, which numbers
/// them); presence records, existence and permission queries and REST commands go to their owners; the position advances and acks
/// and invocation responses addressed to connections held here are answered.
/// </summary>
internal sealed partial class DeliveryDispatcher
{
    /// <summary>Fans one delivery out; public to the assembly so the fan-out can be exercised without Kafka.</summary>
    internal void Dispatch(byte[] value, int partition, long offset, Headers? headers = null)
    {
        Delivery delivery;
        try
        {
            delivery = ContractSerializer.DeserializeDelivery(value);
        }
        catch (ContractException ex)
        {
            OutboundLog.BadDelivery(logger, partition, offset, ex.Message);
            return;
        }

        using var activity = ConnectorTelemetry.Source.HasListeners()
            ? StartDeliverActivity(delivery, partition, offset, headers)
            : null;

        bool repeat;
        lock (outbound.Gate)
        {
            repeat = IsRepeat(delivery, partition, offset);
            if (repeat)
            {
                // Nothing of a repeat is carried out: its message, change or command came before, in its place.
            }
            else if (delivery.HasMessage)
            {
                repeat = !FanOut(delivery, partition, offset, value.Length);
            }
            else if (delivery is { Target: DeliveryTarget.Presence, Presence: not null })
            {
                presence.Apply(delivery, partition);
            }
            else if (delivery.Command == DeliveryCommand.MessageChanged)
            {
                Announce(delivery, partition, offset);
            }
            else if (HolderQueries.IsQueryOrReply(delivery.Command))
            {
                queries.OnDelivery(delivery);
            }
            else if (delivery.Command is not (DeliveryCommand.None or DeliveryCommand.InvokeResponse))
            {
                commands.Apply(delivery, partition, offset);
            }

            if (partition < outbound.Next.Length)
            {
                outbound.Next[partition] = offset + 1;
                if (_waiters.Count > 0)
                {
                    _waiters.RemoveAll(w =>
                    {
                        var done = w.Partition == partition && offset + 1 >= w.Offset;
                        if (done)
                        {
                            w.Reached.TrySetResult(true);
                        }

                        return done;
                    });
                }
            }
        }

        if (!repeat && delivery.Command == DeliveryCommand.InvokeResponse)
        {
            Respond(delivery, partition, offset);
        }

        // A repeat's ack is not answered: the original's was (or, when the original never got through, the ack times
        // out rather than report a success nobody else saw).
        if (!repeat && delivery.Ack is { } ack && IsForThisConnector(delivery)
            && connections.TryGet(ack.ConnectionId, out var sender) && sender.TryCompleteAck(ack.AckId))
        {
            if (ack.Success)
            {
                sender.RecordSucceeded(ack.AckId);
            }

            if (!sender.IsSimple)
            {
                sender.TryEnqueue(sender.Writer.Ack(ack));
            }
        }
    }

    /// <summary>
    /// Answers an invocation of a connection held here with its <c>invokeResponse</c>, if the invocation still waits
    /// (not timed out, cancelled or answered already); otherwise the response is dropped.
    /// </summary>
    private void Respond(Delivery delivery, int partition, long offset)
    {
        if (!IsForThisConnector(delivery) || delivery is not { ConnectionId: { } connectionId, InvocationId: { } invocationId }
            || !connections.TryGet(connectionId, out var caller) || caller.IsSimple || !caller.TryCompleteInvocation(invocationId))
        {
            return;
        }

        try
        {
            caller.TryEnqueue(caller.Writer.InvokeResponse(delivery));
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // A response whose data does not fit its data type: the caller is told it failed rather than left waiting.
            OutboundLog.BadDelivery(logger, partition, offset, ex.Message);
            caller.TryEnqueue(caller.Writer.InvokeError(invocationId, AckErrorNames.InternalServerError, "The response could not be encoded."));
        }
    }

    /// <summary>Whether a delivery's ack or response is for connections of this connector (or of any connector, when it names none).</summary>
    private bool IsForThisConnector(Delivery delivery) => delivery.AckConnectorId is null || delivery.AckConnectorId == identity.Id;

    private Activity? StartDeliverActivity(Delivery delivery, int partition, long offset, Headers? headers)
    {
        var activity = ConnectorTelemetry.Source.StartActivity(
            "brokerchat.outbound deliver", ActivityKind.Consumer, KafkaTraceContext.Extract(headers, delivery.TraceParent));
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", factory.Topics.Outbound);
            activity.SetTag("messaging.destination.partition.id", partition);
            activity.SetTag("messaging.kafka.offset", offset);
            activity.SetTag("brokerchat.hub", delivery.Hub);
            activity.SetTag("brokerchat.target", delivery.Target.ToString());
            activity.SetTag("brokerchat.group", delivery.Group);
        }

        return activity;
    }

    /// <summary>
    /// Fans one message out to the local recipients; false, giving it to nobody, when it repeats a group message whose
    /// id the room history holds. Under the outbound gate.
    /// </summary>
    private bool FanOut(Delivery delivery, int partition, long offset, int size)
    {
        var filter = Recipients.FilterOf(delivery, out var invalid);
        if (invalid is not null)
        {
            OutboundLog.BadDeliveryFilter(logger, partition, offset, invalid);
            return true;
        }

        if (delivery.ExpiresAt != 0 && delivery.ExpiresAt <= clock.GetUtcNow().ToUnixTimeMilliseconds())
        {
            // Read after its time to live (this connector or the functions fell behind): nobody is given it, and it
            // is not kept for history either.
            metrics.Expired("fanout");
            return true;
        }

        if (delivery.Target == DeliveryTarget.Group && delivery.Group is { } room
            && !outbound.History.TryAdd(delivery.Hub, room, partition, offset, delivery, size + 64))
        {
            OutboundLog.DuplicateDelivery(logger, delivery.MessageId, partition, offset);
            metrics.DuplicateDropped("message_id");
            return false;
        }

        if (delivery.ReceivedAt > 0)
        {
            metrics.Delivered(TimeSpan.FromMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds() - delivery.ReceivedAt));
        }

        var recipients = Recipients.Targets(connections, delivery);
        var replayable = delivery.Target == DeliveryTarget.Group;

        // Encoded once per protocol, on the first recipient that speaks it; every other recipient gets the same bytes.
        byte[]? json = null;
        byte[]? messagePack = null;
        foreach (var recipient in recipients)
        {
            if (!Recipients.Accepts(delivery, recipient, filter))
            {
                continue;
            }

            if (recipient.IsSimple)
            {
                // Simple clients get the payload itself, shared by all of them: text and JSON as text, binary as binary.
                recipient.TryEnqueueRaw(delivery.Payload, delivery.DataType == DataType.Binary, delivery.ExpiresAt);
                continue;
            }

            if (SharedFrame(recipient, delivery, static (w, d) => w.Message(d), ref json, ref messagePack, partition, offset) is not { } frame)
            {
                return true;
            }

            if (recipient.IsReliable && replayable)
            {
                sessions.Deliver(recipient, frame, partition, offset, delivery.ExpiresAt);
            }
            else if (recipient.IsReliable)
            {
                sessions.DeliverUnreplayable(recipient, frame, partition, offset, delivery.ExpiresAt);
            }
            else
            {
                recipient.TryEnqueue(frame, delivery.ExpiresAt);
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a delivery (a message, a change, a command, a query) repeats one carried out already, by its source's
    /// position (<see cref="OutboundState.IsRepeat"/>); a repeat is logged and counted. Under the outbound gate.
    /// </summary>
    private bool IsRepeat(Delivery delivery, int partition, long offset)
    {
        if (!outbound.IsRepeat(delivery))
        {
            return false;
        }

        OutboundLog.RepeatedSource(logger, partition, offset, delivery.Source!.Partition, delivery.Source.Offset, delivery.MessageId);
        metrics.DuplicateDropped("position");
        return true;
    }

    /// <summary>
    /// The frame of <paramref name="delivery"/> for <paramref name="recipient"/>'s protocol: encoded by
    /// <paramref name="encode"/> on the first recipient that speaks it, the same bytes for every other. Null, logged,
    /// when the delivery's payload does not fit its data type (a corrupt record): nobody is sent it.
    /// </summary>
    private byte[]? SharedFrame(ClientConnection recipient, Delivery delivery, Func<FrameWriter, Delivery, byte[]> encode, ref byte[]? json, ref byte[]? messagePack, int partition, long offset)
    {
        try
        {
            return recipient.Protocol.Encoding == ProtocolEncoding.MessagePack
                ? messagePack ??= encode(recipient.Writer, delivery)
                : json ??= encode(recipient.Writer, delivery);
        }
        catch (Exception ex) when (ex is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
        {
            OutboundLog.BadDelivery(logger, partition, offset, ex.Message);
            return null;
        }
    }
}
