using System.Net.WebSockets;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.History;
using BrokerChat.Connector.Inbound;
using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.WebPubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Requests;

/// <summary>What became of one received data frame.</summary>
internal enum FrameOutcome
{
    /// <summary>A valid request, to be carried out (<see cref="RequestDispatcher.DispatchAsync"/>).</summary>
    Dispatch,

    /// <summary>An invalid or refused request, already answered with an ack error; the connection stays open.</summary>
    Answered,

    /// <summary>A frame that closes the connection.</summary>
    Closing,
}

/// <summary>
/// Turns a connection's data frames into requests and carries them out, in two steps the receive loop calls in
/// turn: <see cref="Accept"/> parses a frame while its receive buffer is held and answers what must be refused (a bad
/// request, the rate limit, a repeated ackId); <see cref="DispatchAsync"/> then does the request with no receive buffer
/// held (group changes here, messages and events to the inbound topic).
/// </summary>
internal sealed class RequestDispatcher(
    GroupMembership membership,
    HistoryRequests history,
    ChangeRequests changes,
    StoredHistory storedHistory,
    GroupPermissions permissions,
    InboundPublisher publisher,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<RequestDispatcher> logger)
{
    private readonly ConnectorOptions _options = options.Value;

    /// <summary>
    /// Parses one data frame into <paramref name="request"/> and applies the connection's rate limit;
    /// <paramref name="ended"/> is set (to the close reason) when the connection must end.
    /// </summary>
    public FrameOutcome Accept(ClientConnection connection, WebSocketMessage message, long now, ClientRequest request, out string? ended)
    {
        ended = null;
        var outcome = connection.IsSimple ? AsMessageEvent(message, request) : Parse(connection, (message.Buffer ?? []).AsMemory(0, message.Length), request);
        if (outcome == FrameOutcome.Closing)
        {
            ended = "invalid_frame";
            return outcome;
        }

        if (!connection.RateLimit.TryTake(now, timeProvider.TimestampFrequency, _options.MaxMessagesPerSecond, _options.MessageBurst, out var overLimit))
        {
            metrics.RequestRejected("rate_limit");
            if (overLimit > _options.RateLimitDisconnectAfter)
            {
                ended = "rate_limit";
                connection.Close(WebSocketCloseStatus.PolicyViolation, $"RateLimited: more than {_options.MaxMessagesPerSecond} messages per second.", kind: ended);
                return FrameOutcome.Closing;
            }

            var slowDown = $"The connection sends more than {_options.MaxMessagesPerSecond} messages per second; slow down.";
            if (request.AckId is { } limitedAckId)
            {
                connection.TryEnqueue(connection.Writer.AckError(limitedAckId, AckErrorNames.TooManyRequests, slowDown));
            }
            else if (request is { Type: ClientRequestType.Invoke, InvocationId: { } limitedInvocation })
            {
                connection.TryEnqueue(connection.Writer.InvokeError(limitedInvocation, AckErrorNames.TooManyRequests, slowDown));
            }

            return FrameOutcome.Answered;
        }

        if (outcome == FrameOutcome.Dispatch && request.AckId is { } ackId && connection.HasSucceeded(ackId))
        {
            // Carried out already (the client retried with the same ackId): answered, not done again.
            metrics.RequestRejected("duplicate");
            connection.TryEnqueue(connection.Writer.AckError(ackId, AckErrorNames.Duplicate, $"Message with ack-id: {ackId} has been processed."));
            return FrameOutcome.Answered;
        }

        return outcome;
    }

    /// <summary>Carries out one accepted request.</summary>
    public async ValueTask DispatchAsync(ClientConnection connection, ClientRequest request)
    {
        switch (request.Type)
        {
            case ClientRequestType.Ping:
                connection.TryEnqueue(connection.Writer.Pong);
                break;
            case ClientRequestType.JoinGroup:
            case ClientRequestType.LeaveGroup:
                await JoinOrLeaveAsync(connection, request).ConfigureAwait(false);
                break;
            case ClientRequestType.ListMembers:
                if (permissions.Check(connection, request, GroupAccess.List))
                {
                    membership.ListMembers(connection, request.Group!, request.AckId);
                }

                break;
            case ClientRequestType.ListMessages:
                if (permissions.Check(connection, request, GroupAccess.List))
                {
                    await history.ListMessagesAsync(connection, request).ConfigureAwait(false);
                }

                break;
            case ClientRequestType.EditMessage:
            case ClientRequestType.DeleteMessage:
                if (permissions.Check(connection, request, GroupAccess.Send))
                {
                    await changes.ChangeAsync(connection, request).ConfigureAwait(false);
                }

                break;
            case ClientRequestType.SendToGroup:
                if (permissions.Check(connection, request, GroupAccess.Send))
                {
                    await publisher.PublishAsync(connection, request.ToInbound(InboundKind.SendToGroup), connection.Aborted).ConfigureAwait(false);
                }

                break;
            case ClientRequestType.Event:
                await publisher.PublishAsync(connection, request.ToInbound(InboundKind.Event), connection.Aborted).ConfigureAwait(false);
                break;
            case ClientRequestType.Invoke:
                await InvokeAsync(connection, request).ConfigureAwait(false);
                break;
            case ClientRequestType.CancelInvocation:
                // Only an invocation still waiting here is cancelled: its response, should one come, is dropped, and
                // the functions are told to stop it. Unknown ids (answered, timed out, never sent) are ignored.
                if (request.InvocationId is { Length: > 0 } cancelled && connection.TryCompleteInvocation(cancelled))
                {
                    await publisher.PublishAsync(connection, request.ToInbound(InboundKind.CancelInvocation) with { AckId = null }, connection.Aborted).ConfigureAwait(false);
                }

                break;
            case ClientRequestType.SequenceAck:
                if (request.SequenceId is { } sequenceId)
                {
                    connection.Acknowledge(sequenceId); // ignored on unreliable connections
                }

                break;
            default:
                // Unknown types are ignored so newer clients keep working; an ackId still gets its answer.
                if (request.AckId is { } unknownAckId)
                {
                    connection.TryEnqueue(connection.Writer.AckError(unknownAckId, AckErrorNames.BadRequest, $"Unknown request type '{request.TypeName}'."));
                }

                break;
        }
    }

    /// <summary>
    /// Hands an <c>invoke</c> to the functions, whose <c>invokeResponse</c> (or the invoke timeout) answers it. One
    /// without an <c>invocationId</c> cannot be answered and is refused like any bad request.
    /// </summary>
    private ValueTask InvokeAsync(ClientConnection connection, ClientRequest request)
    {
        if (request.InvocationId is not { Length: > 0 })
        {
            metrics.RequestRejected("bad_request");
            if (request.AckId is { } ackId)
            {
                connection.TryEnqueue(connection.Writer.AckError(ackId, AckErrorNames.BadRequest, "An invoke needs an invocationId."));
            }

            return ValueTask.CompletedTask;
        }

        // The invocationId is what answers an invoke; an ackId on it is not tracked.
        return publisher.PublishAsync(connection, request.ToInbound(InboundKind.Invoke) with { AckId = null }, connection.Aborted);
    }

    /// <summary>A simple client's frame, whatever it holds, is a <c>message</c> event with its bytes as they came.</summary>
    private static FrameOutcome AsMessageEvent(WebSocketMessage message, ClientRequest request)
    {
        request.Reset();
        request.Type = ClientRequestType.Event;
        request.Event = WebPubSubUserEvents.Message;
        request.DataType = message.Kind == WebSocketReceiveKind.Binary ? DataType.Binary : DataType.Text;
        request.Data = message.Payload.ToArray();
        return FrameOutcome.Dispatch;
    }

    /// <summary>Parses one frame into <paramref name="request"/>; an invalid one is answered here.</summary>
    private FrameOutcome Parse(ClientConnection connection, ReadOnlyMemory<byte> frame, ClientRequest request)
    {
        request.Reset();
        var status = connection.Protocol.Encoding == ProtocolEncoding.MessagePack
            ? MessagePackRequestParser.Parse(frame, request, out var error)
            : JsonRequestParser.Parse(frame.Span, request, out error);
        if (status == ParseStatus.Ok)
        {
            return FrameOutcome.Dispatch;
        }

        RequestsLog.BadFrame(logger, connection.Id, error!);
        metrics.RequestRejected("bad_request");
        if (request.AckId is { } badAckId)
        {
            connection.TryEnqueue(connection.Writer.AckError(badAckId, AckErrorNames.BadRequest, error!));
        }
        else if (request is { Type: ClientRequestType.Invoke, InvocationId: { Length: > 0 } badInvocation })
        {
            connection.TryEnqueue(connection.Writer.InvokeError(badInvocation, AckErrorNames.BadRequest, error!));
        }

        // Cleared so that a rate-limit refusal of the same frame cannot answer its ackId a second time.
        request.Reset();
        if (status == ParseStatus.Malformed)
        {
            connection.Close(WebSocketCloseStatus.InvalidPayloadData, error!, kind: "invalid_frame");
            return FrameOutcome.Closing;
        }

        return FrameOutcome.Answered;
    }

    private async ValueTask JoinOrLeaveAsync(ClientConnection connection, ClientRequest request)
    {
        if (!permissions.Check(connection, request, GroupAccess.JoinLeave))
        {
            return;
        }

        // History on join reaches past the memory buffer into the store: read before the join, merged as it takes effect.
        var stored = request is { Type: ClientRequestType.JoinGroup, History: > 0 }
            ? await storedHistory.LatestAsync(connection.Hub, request.Group!, Math.Min(request.History.Value, _options.HistoryMaxMessages), connection.Aborted).ConfigureAwait(false)
            : null;
        if (request.Type == ClientRequestType.JoinGroup && !membership.Join(connection, request.Group!, _options.MaxGroupsPerConnection, request.History ?? 0, request.Presence, stored))
        {
            metrics.RequestRejected("max_groups");
            if (request.AckId is { } limitAckId)
            {
                connection.TryEnqueue(connection.Writer.AckError(limitAckId, AckErrorNames.BadRequest, $"The connection is already in the maximum of {_options.MaxGroupsPerConnection} groups."));
            }

            return;
        }

        if (request.Type == ClientRequestType.LeaveGroup)
        {
            membership.Leave(connection, request.Group!);
        }

        if (request.AckId is { } ackId)
        {
            connection.RecordSucceeded(ackId);
            connection.TryEnqueue(connection.Writer.AckSuccess(ackId));
        }
    }
}
