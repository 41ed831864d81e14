using System.Diagnostics;
using System.Text;
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
/// room, after registering the request's ackId (or an invocation's id) so the outcome that comes back through the
/// outbound topic (or the ack or invoke timeout) answers it. A request Kafka refuses is answered with an error at
/// once. Requests whose delivery the brokers have not confirmed are bounded by <see cref="InboundCapacity"/>: at the
/// bound the caller (the connection's receive loop) waits, so the client's socket is not read.
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
    /// <summary>The ack error message of a request refused because the server is at one of its bounds.</summary>
    internal const string BusyMessage = "The server is busy; retry later.";

    private static readonly byte[] ControlCancel = Encoding.UTF8.GetBytes(InboundHeaders.ControlCancel);
    private readonly TimeSpan _ackTimeout = options.Value.AckTimeout;
    private readonly TimeSpan _invokeTimeout = options.Value.InvokeTimeout;

    /// <summary>
    /// Produces one client request to the inbound topic, keyed by its room (or, for an event or an invocation, its
    /// connection). A <c>cancelInvocation</c> carries the <see cref="InboundHeaders.Control"/> header.
    /// </summary>
    public async ValueTask PublishAsync(ClientConnection connection, InboundRequest request, CancellationToken cancellationToken)
    {
        if (!await capacity.TryAcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            metrics.RequestRejected("busy");
            Answer(connection, request.AckId, InvocationOf(request), AckErrorNames.InternalServerError, BusyMessage);
            return;
        }

        if (!Track(connection, request))
        {
            capacity.Release();
            return;
        }

        var receivedAt = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
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
            ReceivedAt = receivedAt,
            AnswerBy = AnswerBy(request, receivedAt),
            NoEcho = request.NoEcho,
            EventName = request.EventName,
            InvocationId = request.InvocationId,
            ChangedMessageId = request.ChangedMessageId,
        };
        Stamp(connection, frame);
        var key = request.Group is { } group ? PartitionKeys.Room(connection.Hub, group) : PartitionKeys.Connection(connection.Hub, connection.Id);
        var headers = request.Kind == InboundKind.CancelInvocation ? new Headers { { InboundHeaders.Control, ControlCancel } } : null;
        var (ackId, invocationId) = (request.AckId, InvocationOf(request));
        Produce(connection, frame, key, headers, traced: true, report => OnDelivered(report, connection, ackId, invocationId), () => Fail(connection, ackId, invocationId, "The server could not accept the message now; retry later."));
    }

    /// <summary>
    /// Produces a record about a connection rather than one of its requests (it opened or ended), keyed by the
    /// connection so it keeps its place among the connection's events. It never waits: false when the inbound bound
    /// is full or Kafka refused it at once, and the record is dropped.
    /// </summary>
    public bool TryPublish(ClientConnection connection, InboundFrame frame)
    {
        if (!capacity.TryAcquire())
        {
            return false;
        }

        frame.ConnectorId = identity.Id;
        frame.ReceivedAt = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        Stamp(connection, frame);
        var produced = true;
        Produce(connection, frame, PartitionKeys.Connection(connection.Hub, connection.Id), null, traced: false, report =>
        {
            capacity.Release();
            if (report.Error.IsError)
            {
                InboundLog.ProduceRejected(logger, connection.Id, report.Error.Reason);
            }
        }, () => produced = false);
        return produced;
    }

    /// <summary>
    /// For a hub with event handlers, puts on a record of the connection what the workers send its handlers with every
    /// event: the subprotocol and the connection's state. A hub without them gets neither, and its records no extra bytes.
    /// </summary>
    private static void Stamp(ClientConnection connection, InboundFrame frame)
    {
        if (connection.HasEventHandlers)
        {
            frame.Subprotocol = connection.Protocol.Name;
            frame.ConnectionState = connection.ConnectionState;
        }
    }

    /// <summary>
    /// Registers what will answer the request (its ackId, or an invocation's id); false, with the client answered,
    /// when it cannot wait for that answer: a repeat of a pending id (<c>Duplicate</c>), too many pending on the
    /// connection (<c>TooManyRequests</c>), or too many awaiting an outcome in the process (<c>InternalServerError</c>
    /// busy, <see cref="ConnectorOptions.MaxAwaitedOutcomes"/>).
    /// </summary>
    private bool Track(ClientConnection connection, InboundRequest request)
    {
        if (request.AckId is { } ackId)
        {
            if (connection.TryAddPendingAck(ackId, Deadline(_ackTimeout), out var refusal))
            {
                return true;
            }

            metrics.RequestRejected(refusal == PendingRefusal.Busy ? "awaited_outcomes" : "pending_acks");
            var (name, message) = Refused(refusal, $"A request with ackId {ackId} is already being processed.", "Too many requests are awaiting acknowledgement on this connection.");
            connection.TryEnqueue(connection.Writer.AckError(ackId, name, message));
            return false;
        }

        if (InvocationOf(request) is { } invocationId && !connection.TryAddPendingInvocation(invocationId, Deadline(_invokeTimeout), out var refused))
        {
            metrics.RequestRejected(refused == PendingRefusal.Busy ? "awaited_outcomes" : "pending_invocations");
            var (name, message) = Refused(refused, $"An invocation with id {invocationId} is already being processed.", "Too many invocations are awaiting a response on this connection.");
            connection.TryEnqueue(connection.Writer.InvokeError(invocationId, name, message));
            return false;
        }

        return true;
    }

    /// <summary>The ack error's name and message for a request that could not be registered.</summary>
    private static (string Name, string Message) Refused(PendingRefusal refusal, string duplicate, string tooMany) => refusal switch
    {
        PendingRefusal.Duplicate => (AckErrorNames.Duplicate, duplicate),
        PendingRefusal.TooMany => (AckErrorNames.TooManyRequests, tooMany),
        _ => (AckErrorNames.InternalServerError, BusyMessage),
    };

    /// <summary>
    /// Produces <paramref name="frame"/>, a client's request in a span of its own when <paramref name="traced"/> (a
    /// record about the connection itself starts no trace); <paramref name="refused"/> runs, with the slot given back,
    /// when Kafka refuses it at once.
    /// </summary>
    private void Produce(ClientConnection connection, InboundFrame frame, byte[] key, Headers? headers, bool traced, Action<DeliveryReport<byte[], byte[]>> delivered, Action refused)
    {
        Activity? previous = null;
        var activity = traced ? StartPublishActivity(connection.Hub, frame.Group, frame.Kind, out previous) : null;
        try
        {
            frame.TraceParent = activity?.Id;
            var message = new Message<byte[], byte[]> { Key = key, Value = ContractSerializer.Serialize(frame), Headers = headers };
            KafkaTraceContext.Inject(message, activity);
            try
            {
                producerHost.Producer.Produce(factory.Topics.Inbound, message, delivered);
            }
            catch (Exception ex) when (ex is ProduceException<byte[], byte[]> or KafkaException or InvalidOperationException or ObjectDisposedException)
            {
                capacity.Release();
                var reason = ex is KafkaException kafka ? kafka.Error.Reason : ex.Message;
                activity?.SetStatus(ActivityStatusCode.Error, reason);
                InboundLog.ProduceRejected(logger, connection.Id, reason);
                refused();
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

    private void OnDelivered(DeliveryReport<byte[], byte[]> report, ClientConnection connection, ulong? ackId, string? invocationId)
    {
        capacity.Release();
        if (report.Error.IsError)
        {
            InboundLog.ProduceRejected(logger, connection.Id, report.Error.Reason);
            Fail(connection, ackId, invocationId, "The message could not be handed to the functions; retry later.");
        }
    }

    private void Fail(ClientConnection connection, ulong? ackId, string? invocationId, string message)
    {
        metrics.RequestRejected("kafka");
        if (ackId is { } id && connection.TryCompleteAck(id))
        {
            connection.TryEnqueue(connection.Writer.AckError(id, AckErrorNames.InternalServerError, message));
        }
        else if (invocationId is not null && connection.TryCompleteInvocation(invocationId))
        {
            connection.TryEnqueue(connection.Writer.InvokeError(invocationId, AckErrorNames.InternalServerError, message));
        }
    }

    /// <summary>Answers a request that will not be carried out with an error, through its ackId or its invocation id.</summary>
    private static void Answer(ClientConnection connection, ulong? ackId, string? invocationId, string name, string message)
    {
        if (ackId is { } id)
        {
            connection.TryEnqueue(connection.Writer.AckError(id, name, message));
        }
        else if (invocationId is not null)
        {
            connection.TryEnqueue(connection.Writer.InvokeError(invocationId, name, message));
        }
    }

    /// <summary>
    /// When this connector stops waiting for the request's outcome and answers <c>Timeout</c> itself (Unix
    /// milliseconds), so the functions skip it if they read it later; 0 when nobody waits for one.
    /// </summary>
    private long AnswerBy(InboundRequest request, long receivedAt) =>
        request.AckId is not null ? receivedAt + (long)_ackTimeout.TotalMilliseconds
        : InvocationOf(request) is not null ? receivedAt + (long)_invokeTimeout.TotalMilliseconds
        : 0;

    /// <summary>The invocation a request waits for a response to: an <c>invoke</c>'s id, and nothing for anything else.</summary>
    private static string? InvocationOf(InboundRequest request) => request.Kind == InboundKind.Invoke ? request.InvocationId : null;

    private long Deadline(TimeSpan timeout) => timeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * timeProvider.TimestampFrequency);
}
