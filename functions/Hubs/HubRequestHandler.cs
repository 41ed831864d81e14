using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Invocations;
using BrokerChat.Functions.Webhooks;
using Microsoft.Extensions.Options;

namespace BrokerChat.Functions.Hubs;

/// <summary>What handling one request made: its deliveries, and the actions its handler took (for the test host).</summary>
internal readonly record struct HubOutcome(IReadOnlyList<Delivery> Deliveries, IReadOnlyList<HubAction> Actions)
{
    public HubOutcome(IReadOnlyList<Delivery> deliveries)
        : this(deliveries, [])
    {
    }
}

/// <summary>
/// The request handler every host runs: the chat function's validation and moderation first, then the application's
/// hub for what they accepted (connection events, user events, invocations, the pre-publish hook), then the hub's event
/// handlers (webhooks, <see cref="WebhookEvents"/>), and the deliveries of all. A request for a hub without a class or
/// handlers, or of a kind neither handles, is the chat function's alone.
/// </summary>
/// <remarks>
/// A handler that throws <see cref="HubException"/> refuses the request with that error; any other exception is the
/// host's to retry and, in the end, to set aside (the caller then gets <c>InternalServerError</c>). An invocation is
/// cancelled by the caller's <c>cancelInvocation</c> (nothing is answered then) and by
/// <see cref="HubOptions.InvocationTimeout"/> (answered with <c>Timeout</c>).
/// <para>With event handlers: <c>connected</c> and <c>disconnected</c> run the hub's handler, then go to the event
/// handler (both; a retry runs both again). A user event or invocation goes to the hub's handler when its class declares
/// that event, otherwise to the event handler that takes it, otherwise it is the chat function's (an ack, or
/// <c>NotFound</c> for an invocation).</para>
/// </remarks>
public sealed class HubRequestHandler : IRequestHandler
{
    private readonly ChatFunction _chat;
    private readonly HubRegistry _hubs;
    private readonly HubDispatcher _dispatcher;
    private readonly RunningInvocations _invocations;
    private readonly WebhookEvents? _webhooks;
    private readonly TimeProvider _time;
    private readonly HubOptions _options;
    private readonly int _maxMessageBytes;

    internal HubRequestHandler(ChatFunction chat, HubRegistry hubs, HubDispatcher dispatcher, RunningInvocations invocations, IOptions<HubOptions> options, IOptions<FunctionsOptions> functions, TimeProvider time, WebhookEvents? webhooks)
    {
        _chat = chat;
        _hubs = hubs;
        _dispatcher = dispatcher;
        _invocations = invocations;
        _webhooks = webhooks;
        _time = time;
        _options = options.Value;
        _maxMessageBytes = functions.Value.MaxMessageBytes;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Delivery>> HandleAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken) =>
        (await HandleCoreAsync(frame, position, cancellationToken).ConfigureAwait(false)).Deliveries;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<IReadOnlyList<Delivery>>> HandleBatchAsync(
        IReadOnlyList<InboundFrame> frames, IReadOnlyList<InboundPosition> positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(positions);
        var results = new IReadOnlyList<Delivery>[frames.Count];
        var batch = new List<int>();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (BatchMethod(frame, out var hub) is not { } method)
            {
                results[i] = (await HandleCoreAsync(frame, positions[i], cancellationToken).ConfigureAwait(false)).Deliveries;
                continue;
            }

            if (_chat.Check(frame) is { } rejection)
            {
                results[i] = _chat.Rejected(frame, positions[i], rejection);
                continue;
            }

            // The accepted events of this hub and event name that follow form one call.
            batch.Clear();
            batch.Add(i);
            while (i + 1 < frames.Count && BatchMethod(frames[i + 1], out _) == method && frames[i + 1].Hub == frame.Hub)
            {
                if (_chat.Check(frames[i + 1]) is { } later)
                {
                    results[i + 1] = _chat.Rejected(frames[i + 1], positions[i + 1], later);
                    i++;
                    break;
                }

                batch.Add(++i);
            }

            await RunBatchAsync(hub!, method, batch, frames, positions, results, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>Handles one request, keeping the actions its handler took.</summary>
    internal async ValueTask<HubOutcome> HandleCoreAsync(InboundFrame frame, InboundPosition position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (ChatFunction.IsRelayed(frame))
        {
            return new HubOutcome(_chat.Relay(frame, position));
        }

        var hub = _hubs.Find(frame.Hub);
        var webhooks = _webhooks is { } w && w.Has(frame.Hub) ? w : null;
        if (hub is null && webhooks is null)
        {
            return new HubOutcome(_chat.Handle(frame, position));
        }

        if (_chat.Check(frame) is { } rejection)
        {
            return new HubOutcome(_chat.Rejected(frame, position, rejection));
        }

        if (webhooks is not null)
        {
            switch (frame.Kind)
            {
                case InboundKind.Connected or InboundKind.Disconnected:
                    // The hub's handler, then the event handler: both, whatever the first did.
                    var outcome = await ConnectionEventOfHubAsync(hub, frame, position, cancellationToken).ConfigureAwait(false);
                    await webhooks.NotifyAsync(frame, position, cancellationToken).ConfigureAwait(false);
                    return outcome;
                case InboundKind.Event when hub?.UserEvent(frame.EventName) is null:
                case InboundKind.Invoke when hub?.Invocation(frame.EventName) is null:
                    if (await webhooks.UserEventAsync(frame, position, cancellationToken).ConfigureAwait(false) is { } viaWebhook)
                    {
                        return new HubOutcome(viaWebhook);
                    }

                    break;
            }
        }

        if (hub is null)
        {
            return new HubOutcome(_chat.Accepted(frame, position));
        }

        try
        {
            switch (frame.Kind)
            {
                case InboundKind.SendToGroup when hub.HandlesPublish:
                    return await PublishAsync(hub, frame, position, cancellationToken).ConfigureAwait(false);
                case InboundKind.Event when hub.UserEvent(frame.EventName) is { } method:
                    return await UserEventAsync(hub, method, frame, position, cancellationToken).ConfigureAwait(false);
                case InboundKind.Invoke when hub.Invocation(frame.EventName) is { } method:
                    return await InvokeAsync(hub, method, frame, position, cancellationToken).ConfigureAwait(false);
                case InboundKind.Connected or InboundKind.Disconnected:
                    return await ConnectionEventOfHubAsync(hub, frame, position, cancellationToken).ConfigureAwait(false);
                case InboundKind.CancelInvocation:
                    // Workers act on cancels as they read them; a host that hands them over in order (the custom handler) lands here.
                    _invocations.Cancel(frame.ConnectionId, frame.InvocationId!);
                    return new HubOutcome([]);
                default:
                    return new HubOutcome(_chat.Accepted(frame, position));
            }
        }
        catch (HubException refused)
        {
            return new HubOutcome(_chat.Rejected(frame, position, new Rejection(refused.Name, refused.Message)));
        }
    }

    /// <inheritdoc />
    public Delivery? Reject(InboundFrame frame, InboundPosition position, long now, Rejection rejection)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var viaWebhook = _webhooks is { } webhooks && webhooks.Has(frame.Hub) && _hubs.Find(frame.Hub)?.UserEvent(frame.EventName) is null
            ? webhooks.Rejected(frame, position, now, rejection)
            : null;
        return viaWebhook ?? AckDeliveries.Rejected(frame, position, now, rejection);
    }

    /// <summary>The hub's own <c>connected</c> or <c>disconnected</c> handler, when it has one; a refusal of it makes nothing.</summary>
    private async ValueTask<HubOutcome> ConnectionEventOfHubAsync(HubDescriptor? hub, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        var kind = frame.Kind == InboundKind.Connected ? HubHandlerKind.Connected : HubHandlerKind.Disconnected;
        if (hub is null || !(kind == HubHandlerKind.Connected ? hub.HandlesConnected : hub.HandlesDisconnected))
        {
            return new HubOutcome([]);
        }

        try
        {
            return await ConnectionEventAsync(hub, kind, frame, position, token).ConfigureAwait(false);
        }
        catch (HubException)
        {
            return new HubOutcome([]); // nothing answers a connection record
        }
    }

    private HubActions NewActions(InboundFrame frame) => new(frame.ConnectionId, _options.MaxActionsPerRequest, _maxMessageBytes);

    private async ValueTask<HubOutcome> PublishAsync(HubDescriptor hub, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        var actions = NewActions(frame);
        var context = new PublishContext(frame.Hub, frame.ConnectionId, frame.UserId, frame.Roles, actions, frame.Group!, MessageData.From(frame.DataType, frame.Payload), frame.NoEcho)
        {
            CancellationToken = token,
        };
        var decision = await _dispatcher.RunAsync(hub, HubHandlerKind.Publish, null, [context], h => h.OnPublishAsync(context)).ConfigureAwait(false)
            ?? PublishDecision.Accept();
        var deliveries = new List<Delivery>();
        if (decision.Rejection is { } rejection)
        {
            deliveries.AddRange(_chat.Rejected(frame, position, rejection));
        }
        else
        {
            var data = decision.Rewritten ?? context.Data;
            if (data.Bytes.Length > _maxMessageBytes)
            {
                throw new InvalidOperationException($"The rewritten message of {data.Bytes.Length} bytes exceeds the limit of {_maxMessageBytes} bytes.");
            }

            deliveries.Add(ChatFunction.GroupMessage(frame, position.MessageId(), data.DataType, data.ToArray(), _chat.Now));
        }

        return Finish(deliveries, actions, frame, position);
    }

    private async ValueTask<HubOutcome> UserEventAsync(HubDescriptor hub, HubMethod method, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        var context = UserEvent(frame, token);
        if (method.IsBatch)
        {
            await _dispatcher.RunAsync(hub, HubHandlerKind.UserEventBatch, frame.EventName, [context], async h =>
            {
                await method.InvokeBatchAsync(h, [context]).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
        else
        {
            await _dispatcher.RunAsync(hub, HubHandlerKind.UserEvent, frame.EventName, [context], h => method.InvokeAsync(h, context)).ConfigureAwait(false);
        }

        return Finish(new List<Delivery>(_chat.Accepted(frame, position)), context.Actions, frame, position);
    }

    private async ValueTask RunBatchAsync(HubDescriptor hub, HubMethod method, List<int> batch, IReadOnlyList<InboundFrame> frames, IReadOnlyList<InboundPosition> positions, IReadOnlyList<Delivery>[] results, CancellationToken token)
    {
        var contexts = batch.Select(i => UserEvent(frames[i], token)).ToArray();
        try
        {
            await _dispatcher.RunAsync(hub, HubHandlerKind.UserEventBatch, frames[batch[0]].EventName, contexts, async h =>
            {
                await method.InvokeBatchAsync(h, contexts).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
        catch (HubException refused)
        {
            foreach (var i in batch)
            {
                results[i] = _chat.Rejected(frames[i], positions[i], new Rejection(refused.Name, refused.Message));
            }

            return;
        }

        for (var k = 0; k < batch.Count; k++)
        {
            var i = batch[k];
            results[i] = Finish(new List<Delivery>(_chat.Accepted(frames[i], positions[i])), contexts[k].Actions, frames[i], positions[i]).Deliveries;
        }
    }

    private async ValueTask<HubOutcome> InvokeAsync(HubDescriptor hub, HubMethod method, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        using var registration = _invocations.Register(frame.ConnectionId, frame.InvocationId!, token);
        using var deadline = new CancellationTokenSource(_options.InvocationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(registration.Token, deadline.Token);
        var actions = NewActions(frame);
        var context = new InvocationContext(frame.Hub, frame.ConnectionId, frame.UserId, frame.Roles, actions, frame.EventName!, frame.InvocationId!, MessageData.From(frame.DataType, frame.Payload))
        {
            CancellationToken = linked.Token,
        };
        MessageData? answer;
        try
        {
            answer = await _dispatcher.RunAsync(hub, HubHandlerKind.Invocation, frame.EventName, [context], h => method.InvokeAsync(h, context)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            return new HubOutcome(_chat.Rejected(frame, position, new Rejection(AckErrorNames.Timeout,
                $"The invocation of '{frame.EventName}' did not finish within {_options.InvocationTimeout.TotalSeconds:0.###} s.")));
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested && registration.Token.IsCancellationRequested)
        {
            return new HubOutcome([]); // the caller cancelled it and waits for no answer
        }

        var deliveries = new List<Delivery>
        {
            AckDeliveries.InvokeSucceeded(frame, position.MessageId(), _chat.Now, answer?.DataType ?? DataType.Json, answer?.ToArray()),
        };
        return Finish(deliveries, actions, frame, position);
    }

    private async ValueTask<HubOutcome> ConnectionEventAsync(HubDescriptor hub, HubHandlerKind kind, InboundFrame frame, InboundPosition position, CancellationToken token)
    {
        var actions = NewActions(frame);
        HubEventContext context = kind == HubHandlerKind.Connected
            ? new ConnectedContext(frame.Hub, frame.ConnectionId, frame.UserId, frame.Roles, actions, frame.Groups ?? [], frame.Subprotocol)
            : new DisconnectedContext(frame.Hub, frame.ConnectionId, frame.UserId, frame.Roles, actions, frame.Reason);
        context.CancellationToken = token;
        await _dispatcher.RunAsync(hub, kind, null, [context], async h =>
        {
            if (context is ConnectedContext connected)
            {
                await h.OnConnectedAsync(connected).ConfigureAwait(false);
            }
            else
            {
                await h.OnDisconnectedAsync((DisconnectedContext)context).ConfigureAwait(false);
            }

            return true;
        }).ConfigureAwait(false);
        return Finish([], actions, frame, position);
    }

    private UserEventContext UserEvent(InboundFrame frame, CancellationToken token) =>
        new(frame.Hub, frame.ConnectionId, frame.UserId, frame.Roles, NewActions(frame), frame.EventName!, MessageData.From(frame.DataType, frame.Payload))
        {
            CancellationToken = token,
        };

    private HubOutcome Finish(List<Delivery> deliveries, HubActions actions, InboundFrame frame, InboundPosition position)
    {
        ActionDeliveries.Append(deliveries, actions.Taken, frame, position, _chat.Now);
        return new HubOutcome(deliveries, actions.Taken);
    }

    private HubMethod? BatchMethod(InboundFrame frame, out HubDescriptor? hub)
    {
        hub = frame.Kind == InboundKind.Event ? _hubs.Find(frame.Hub) : null;
        return hub?.UserEvent(frame.EventName) is { IsBatch: true } method ? method : null;
    }
}
