using BrokerChat.Contracts.Messages;
using BrokerChat.EventHandlers;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Invocations;
using Microsoft.Extensions.Logging;

namespace BrokerChat.Functions.Webhooks;

/// <summary>
/// The request handler's stage for hubs with event handlers (webhooks, <c>Hubs:{hub}:EventHandlers</c>): posts the
/// event of a record to the handler that takes it (the first of the hub's whose events match), one call per event, and
/// turns the answer into deliveries. A hub without handlers never gets here.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>connected</c> and <c>disconnected</c> are notifications: nothing is sent to the client. An answer but 2xx,
/// or none, throws, so the worker tries the record again with backoff and sets it aside when its tries run out.</item>
/// <item>A user event (a client's <c>event</c>, or a simple WebSocket client's frame, the event <c>message</c>): a 2xx
/// answer with a body is sent back to the client as a message from the server, of the data type its media type names,
/// with the client's ack; 204 or an empty body, the ack alone. Another status below 500 refuses the event: the client
/// gets the ack error <see cref="AckErrorNames.InvocationFailed"/>, or, when it asked for no ack, its connection is
/// closed. A 5xx, or no answer, throws.</item>
/// <item>An invocation (<c>invoke</c>): a 2xx answer is its <c>invokeResponse</c> (with the body, when there is one),
/// another status below 500 its error <see cref="AckErrorNames.InvocationFailed"/>; a 5xx, or no answer, throws. The
/// client's <c>cancelInvocation</c> cancels the call, and nothing is answered.</item>
/// <item>A <c>ce-connectionState</c> header on a 2xx answer to a client's event sets the connection's state
/// (<see cref="DeliveryCommand.SetConnectionState"/>), delivered before the reply.</item>
/// </list>
/// Every event of a record carries the record's message id as <c>ce-id</c> (the same on each try) and its receive time
/// as <c>ce-time</c>; the record's <see cref="InboundFrame.Subprotocol"/> and <see cref="InboundFrame.ConnectionState"/>
/// become <c>ce-subprotocol</c> and <c>ce-connectionState</c>. Each call is counted and timed in
/// <see cref="FunctionsMetrics"/>, and each failure logged, so nothing fails silently.
/// </remarks>
internal sealed class WebhookEvents
{
    private readonly EventHandlerRoutes _routes;
    private readonly EventHandlerSender _sender;
    private readonly RunningInvocations _invocations;
    private readonly FunctionsMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HashSet<string> _hubs;

    public WebhookEvents(EventHandlerRoutes routes, EventHandlerSender sender, RunningInvocations invocations, FunctionsMetrics metrics, TimeProvider time, ILogger<WebhookEvents> logger)
    {
        _routes = routes;
        _sender = sender;
        _invocations = invocations;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _hubs = new HashSet<string>(routes.Hubs, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Whether <paramref name="hub"/> has event handlers; when it has none, nothing here runs for its records.</summary>
    public bool Has(string hub) => _hubs.Count > 0 && _hubs.Contains(hub);

    /// <summary>The handler that takes the event of <paramref name="frame"/>, or null when none does (or the record has no event for one).</summary>
    public EventHandlerTarget? Find(InboundFrame frame) => frame.Kind switch
    {
        InboundKind.Connected => _routes.Find(frame.Hub, WebPubSubEventKind.Connected),
        InboundKind.Disconnected => _routes.Find(frame.Hub, WebPubSubEventKind.Disconnected),
        InboundKind.Event or InboundKind.Invoke when frame.EventName is { } name => _routes.Find(frame.Hub, WebPubSubEventKind.User, name),
        _ => null,
    };

    /// <summary>
    /// Posts the <c>connected</c> or <c>disconnected</c> notification of <paramref name="frame"/> to the handler that
    /// takes it, if any; throws when it does not answer 2xx.
    /// </summary>
    public async ValueTask NotifyAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken)
    {
        if (Find(frame) is not { } target)
        {
            return;
        }

        var connected = frame.Kind == InboundKind.Connected;
        var id = position.MessageId();
        var @event = connected
            ? WebPubSubEvent.Connected(frame.Hub, frame.ConnectionId, id, TimeOf(frame), frame.UserId, frame.Subprotocol, frame.ConnectionState)
            : WebPubSubEvent.Disconnected(frame.Hub, frame.ConnectionId, id, TimeOf(frame), frame.UserId, frame.Subprotocol, frame.ConnectionState, frame.Reason);
        var response = await SendAsync(target, @event, connected ? "connected" : "disconnected", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw Failed(target, @event, response.Status);
        }
    }

    /// <summary>
    /// The deliveries of the user event or invocation <paramref name="frame"/> when a handler takes it; null when none
    /// does. Throws when the handler answers 5xx or not at all.
    /// </summary>
    public async ValueTask<IReadOnlyList<Delivery>?> UserEventAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken)
    {
        if (Find(frame) is not { } target)
        {
            return null;
        }

        var @event = WebPubSubEvent.User(frame.Hub, frame.ConnectionId, position.MessageId(), TimeOf(frame), frame.EventName!,
            frame.UserId, frame.Subprotocol, frame.ConnectionState, frame.DataType, frame.Payload);
        EventHandlerResponse response;
        if (frame.Kind == InboundKind.Invoke)
        {
            using var registration = _invocations.Register(frame.ConnectionId, frame.InvocationId!, cancellationToken);
            try
            {
                response = await SendAsync(target, @event, "invoke", registration.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && registration.Token.IsCancellationRequested)
            {
                return []; // the caller cancelled it and waits for no answer
            }
        }
        else
        {
            response = await SendAsync(target, @event, "user", cancellationToken).ConfigureAwait(false);
        }

        if (response.IsServerError)
        {
            throw Failed(target, @event, response.Status);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!response.IsSuccess)
        {
            WebhookLog.Refused(_logger, target.Handler.Hub, target.Handler.Index, @event.Type, frame.ConnectionId, response.Status);
            return [WebhookDeliveries.Refused(frame, position, now, new Rejection(AckErrorNames.InvocationFailed, response.Reason))];
        }

        var deliveries = new List<Delivery>(2);
        if (response.ConnectionState is { } state)
        {
            deliveries.Add(WebhookDeliveries.State(frame, position, now, state));
        }

        var dataType = response.Body.Length == 0 ? DataType.Json : WebhookDeliveries.DataTypeOf(response);
        if (response.Body.Length > 0 && dataType != response.DataType)
        {
            WebhookLog.Retyped(_logger, target.Handler.Hub, target.Handler.Index, @event.Type, frame.ConnectionId, response.ContentType, dataType.ToString());
        }

        if (frame.Kind == InboundKind.Invoke)
        {
            deliveries.Add(AckDeliveries.InvokeSucceeded(frame, position.MessageId(), now, dataType, response.Body.Length == 0 ? null : response.Body));
        }
        else if (WebhookDeliveries.Answer(frame, position, now, response, dataType) is { } answer)
        {
            deliveries.Add(answer);
        }

        return deliveries;
    }

    /// <summary>
    /// What the sender of <paramref name="frame"/> gets when the worker gave up on it: the connection closed, when the
    /// event went to a handler and the sender asked for no ack (as for a refusal); otherwise null, for the default.
    /// </summary>
    public Delivery? Rejected(InboundFrame frame, InboundPosition position, long now, Rejection rejection) =>
        frame is { Kind: InboundKind.Event, AckId: null } && Find(frame) is not null
            ? WebhookDeliveries.Close(frame, position, now, rejection.Message)
            : null;

    /// <summary>The call, counted and timed; a handler that cannot be reached is logged and the exception passed on.</summary>
    private async ValueTask<EventHandlerResponse> SendAsync(EventHandlerTarget target, WebPubSubEvent @event, string kind, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            var response = await _sender.SendAsync(target, @event, cancellationToken).ConfigureAwait(false);
            _metrics.EventHandlerCalled(kind, response.IsSuccess ? "ok" : response.IsServerError ? "failed" : "refused", _time.GetElapsedTime(started));
            return response;
        }
        catch (EventHandlerUnavailableException ex)
        {
            _metrics.EventHandlerCalled(kind, "unavailable", _time.GetElapsedTime(started));
            WebhookLog.Unavailable(_logger, @event.Type, @event.ConnectionId, @event.Id, ex.Message);
            throw;
        }
    }

    private EventHandlerFailedException Failed(EventHandlerTarget target, WebPubSubEvent @event, int status)
    {
        WebhookLog.Failed(_logger, target.Handler.Hub, target.Handler.Index, status, @event.Type, @event.ConnectionId, @event.Id);
        return new EventHandlerFailedException($"The event handler {target.Handler.Index} of hub '{target.Handler.Hub}' answered {status} to {@event.Type}.");
    }

    /// <summary><c>ce-time</c>: when the connector received the record, or now for a record without that time.</summary>
    private DateTimeOffset TimeOf(InboundFrame frame) =>
        frame.ReceivedAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(frame.ReceivedAt) : _time.GetUtcNow();
}
