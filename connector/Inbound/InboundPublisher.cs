using System.Diagnostics;
using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Kafka;
using BrokerChat.Kafka.Tracing;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Inbound;

/// <summary>
/// Hands client requests to the functions: produces an <see cref="InboundFrame"/> to the inbound topic keyed by
/// room, after registering the request's ackId so the outcome that comes back through the outbound topic (or the
/// ack timeout) answers it. A request Kafka refuses is answered with an ack error at once. Requests whose delivery
/// the brokers have not confirmed are bounded by <see cref="InboundCapacity"/>: at the bound the caller (the
/// connection's receive loop) waits, so the client's socket is not read.
/// </summary>
internal sealed class InboundPublisher(
    KafkaProducerHost producerHost,
    KafkaClientFactory factory,
    ConnectorIdentity identity,
    InboundCapacity capacity,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<InboundPublisher> logger)
{
    private readonly TimeSpan _ackTimeout = options.Value.AckTimeout;

    /// <summary>Produces one client request to the inbound topic, keyed by its room (or, for an event, its connection).</summary>
    public async ValueTask PublishAsync(ClientConnection connection, InboundRequest request, CancellationToken cancellationToken)
    {
        if (!await capacity.TryAcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            metrics.RequestRejected("busy");
            if (request.AckId is { } busyAckId)
            {
                connection.TryEnqueue(connection.Writer.AckError(busyAckId, AckErrorNames.InternalServerError, "The server is busy; retry later."));
            }

            return;
        }

        if (request.AckId is { } ackId)
        {
            var deadline = timeProvider.GetTimestamp() + (long)(_ackTimeout.TotalSeconds * timeProvider.TimestampFrequency);
            if (!connection.TryAddPendingAck(ackId, deadline, out var tooMany))
            {
                capacity.Release();
                metrics.RequestRejected("pending_acks");
                connection.TryEnqueue(tooMany
                    ? connection.Writer.AckError(ackId, AckErrorNames.TooManyRequests, "Too many requests are awaiting acknowledgement on this connection.")
                    : connection.Writer.AckError(ackId, AckErrorNames.Duplicate, $"A request with ackId {ackId} is already being processed."));
                return;
            }
        }

        var frame = new InboundFrame
        {
            Kind = request.Kind,
            Hub = connection.Hub,
            Group = request.Group,
            ConnectionId = connection.Id,
            ConnectorId = identity.Id,
            UserId = connection.UserId,
            Roles = connection.Roles,
            AckId = request.AckId,
            DataType = request.DataType,
            Payload = request.Data,
            ReceivedAt = timeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
            NoEcho = request.NoEcho,
            EventName = request.EventName,
        };
        var key = request.Group is { } group ? PartitionKeys.Room(connection.Hub, group) : PartitionKeys.Connection(connection.Hub, connection.Id);
        var activity = StartPublishActivity(connection.Hub, request.Group, request.Kind, out var previous);
        try
        {
            frame.TraceParent = activity?.Id;
            var message = new Message<byte[], byte[]> { Key = key, Value = ContractSerializer.Serialize(frame) };
            KafkaTraceContext.Inject(message, activity);
            var ackIdForReport = request.AckId;
            try
            {
                producerHost.Producer.Produce(factory.Topics.Inbound, message, report => OnDelivered(report, connection, ackIdForReport));
            }
            catch (Exception ex) when (ex is ProduceException<byte[], byte[]> or KafkaException or InvalidOperationException or ObjectDisposedException)
            {
                capacity.Release();
                var reason = ex is KafkaException kafka ? kafka.Error.Reason : ex.Message;
                activity?.SetStatus(ActivityStatusCode.Error, reason);
                InboundLog.ProduceRejected(logger, connection.Id, reason);
                Fail(connection, request.AckId, "The server could not accept the message now; retry later.");
            }
        }
        finally
        {
            if (activity is not null)
            {
                activity.Dispose();
                Activity.Current = previous;
            }
        }
    }

    /// <summary>
    /// Starts the span of one request as the root of a trace of its own (not a child of the long-lived WebSocket
    /// request); null when nobody listens, which costs nothing.
    /// </summary>
    private Activity? StartPublishActivity(string hub, string? group, InboundKind kind, out Activity? previous)
    {
        previous = null;
        if (!ConnectorTelemetry.Source.HasListeners())
        {
            return null;
        }

        previous = Activity.Current;
        Activity.Current = null;
        var activity = ConnectorTelemetry.Source.StartActivity("brokerchat.inbound publish", ActivityKind.Producer);
        if (activity is null)
        {
            Activity.Current = previous;
            return null;
        }

        activity.SetTag("messaging.system", "kafka");
        activity.SetTag("messaging.operation.type", "send");
        activity.SetTag("messaging.destination.name", factory.Topics.Inbound);
        activity.SetTag("brokerchat.hub", hub);
        activity.SetTag("brokerchat.group", group);
        activity.SetTag("brokerchat.request", kind.ToString());
        return activity;
    }

    private void OnDelivered(DeliveryReport<byte[], byte[]> report, ClientConnection connection, ulong? ackId)
    {
        capacity.Release();
        if (report.Error.IsError)
        {
            InboundLog.ProduceRejected(logger, connection.Id, report.Error.Reason);
            Fail(connection, ackId, "The message could not be handed to the functions; retry later.");
        }
    }

    private void Fail(ClientConnection connection, ulong? ackId, string message)
    {
        metrics.RequestRejected("kafka");
        if (ackId is { } id && connection.TryCompleteAck(id))
        {
            connection.TryEnqueue(connection.Writer.AckError(id, AckErrorNames.InternalServerError, message));
        }
    }
}
