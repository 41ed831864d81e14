using System.Buffers;
using System.Net.WebSockets;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Kafka;
using BrokerChat.Connector.Protocol;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Connections;

/// <summary>
/// The whole life of one client connection, in <see cref="HandleAsync"/>: authenticate and choose the subprotocol,
/// accept, register, send <c>connected</c>, run the receive loop, and in <c>finally</c> unregister and release
/// everything, whichever way the connection ended.
/// </summary>
internal sealed class ClientConnectionHandler(
    ConnectionIndex connections,
    ConnectionLimiter limiter,
    AccessTokenService tokens,
    InboundPublisher publisher,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<ClientConnectionHandler> logger)
{
    /// <summary>The JSON PubSub subprotocol.</summary>
    public const string JsonSubprotocol = "json.webpubsub.azure.v1";

    private const int InitialReceiveBuffer = 4 * 1024;
    private readonly ConnectorOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, string hub)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", "This endpoint accepts WebSocket connections only.").ConfigureAwait(false);
            return;
        }

        if (!HubNames.IsValid(hub))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", "Invalid hub name.").ConfigureAwait(false);
            return;
        }

        hub = HubNames.Normalize(hub);
        var token = context.Request.Query["access_token"].FirstOrDefault() ?? BearerToken(context.Request);
        var client = tokens.Validate(token, hub, out var failure);
        if (client is null)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", failure!).ConfigureAwait(false);
            return;
        }

        if (!context.WebSockets.WebSocketRequestedProtocols.Any(p => string.Equals(p, JsonSubprotocol, StringComparison.OrdinalIgnoreCase)))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "bad_request", $"Offer the subprotocol {JsonSubprotocol}.").ConfigureAwait(false);
            return;
        }

        var address = context.Connection.RemoteIpAddress;
        switch (limiter.TryAcquire(client.UserId, address))
        {
            case ConnectionLimiter.Refusal.MaxConnections:
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "max_connections", $"This server holds its maximum of {_options.MaxConnections} connections; connect to another.").ConfigureAwait(false);
                return;
            case ConnectionLimiter.Refusal.MaxPerUser:
                await RefuseAsync(context, StatusCodes.Status429TooManyRequests, "max_per_user", $"This user already has {_options.MaxConnectionsPerUser} connections.").ConfigureAwait(false);
                return;
            case ConnectionLimiter.Refusal.MaxPerAddress:
                await RefuseAsync(context, StatusCodes.Status429TooManyRequests, "max_per_address", $"This address already has {_options.MaxConnectionsPerAddress} connections.").ConfigureAwait(false);
                return;
        }

        connections.HandlerStarted();
        try
        {
            await RunAsync(context, hub, client).ConfigureAwait(false);
        }
        finally
        {
            limiter.Release(client.UserId, address);
            connections.HandlerEnded();
        }
    }

    private async Task RunAsync(HttpContext context, string hub, ClientIdentity client)
    {
        // No WebSocket-level keep-alive: it would run a timer per connection; the heartbeat scan does it for all.
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = JsonSubprotocol,
            KeepAliveInterval = TimeSpan.Zero,
        }).ConfigureAwait(false);

        var connection = new ClientConnection(ConnectorIdentity.NewConnectionId(), hub, client.UserId, client.Roles, _options.OutboundQueueMessages, _options.OutboundQueueBytes, timeProvider)
        {
            FrameSent = metrics.FrameOut,
        };
        metrics.Opened();
        Task? sendLoop = null;
        var reason = "client_close";
        try
        {
            connections.Add(connection);
            foreach (var group in client.Groups)
            {
                connections.JoinGroup(connection, group);
            }

            connection.TryEnqueue(JsonFrameWriter.Connected(connection.Id, connection.UserId));
            sendLoop = connection.RunSendLoopAsync(socket);
            ConnectorLog.ConnectionOpened(logger, connection.Id, hub, connection.UserId);
            reason = await ReceiveLoopAsync(socket, connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or BadHttpRequestException)
        {
            reason = "abort";
        }
        finally
        {
            connection.ReceiveEnded();
            connections.Remove(connection);
            connection.ClearPendingAcks();
            connection.Close(WebSocketCloseStatus.NormalClosure, "", discardQueued: true, sendDisconnected: false);
            if (sendLoop is not null)
            {
                await sendLoop.ConfigureAwait(false);
            }

            connection.Dispose();
            var closedBy = connection.CloseKind ?? reason;
            metrics.Closed(closedBy);
            ConnectorLog.ConnectionClosed(logger, connection.Id, connection.CloseReason is { Length: > 0 } serverReason ? serverReason : closedBy);
        }
    }

    /// <summary>Reads frames until the client closes or the connection is aborted; returns why it ended.</summary>
    private async Task<string> ReceiveLoopAsync(WebSocket socket, ClientConnection connection)
    {
        var token = connection.Aborted;
        var request = new ClientRequest();
        while (true)
        {
            // Zero-byte read: an idle connection holds no receive buffer while it waits.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, token).ConfigureAwait(false);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                return "client_close";
            }

            var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
            FrameOutcome outcome;
            try
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= _options.MaxMessageBytes)
                        {
                            connection.Close(WebSocketCloseStatus.MessageTooBig, $"The message exceeds the limit of {_options.MaxMessageBytes} bytes.", kind: "message_too_big");
                            return "message_too_big";
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageBytes + 1));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var room = Math.Min(buffer.Length, _options.MaxMessageBytes + 1) - length;
                    result = await socket.ReceiveAsync(buffer.AsMemory(length, room), token).ConfigureAwait(false);
                    length += result.Count;
                    if (length > _options.MaxMessageBytes)
                    {
                        connection.Close(WebSocketCloseStatus.MessageTooBig, $"The message exceeds the limit of {_options.MaxMessageBytes} bytes.", kind: "message_too_big");
                        return "message_too_big";
                    }
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                var now = timeProvider.GetTimestamp();
                connection.MarkReceived(now);
                switch (result.MessageType)
                {
                    case WebSocketMessageType.Close:
                        return "client_close";
                    case WebSocketMessageType.Binary:
                        connection.Close(WebSocketCloseStatus.InvalidMessageType, $"Binary frames are not part of {JsonSubprotocol}.", kind: "invalid_frame");
                        return "invalid_frame";
                }

                metrics.FrameIn(length);
                outcome = Parse(connection, buffer.AsSpan(0, length), request);
                if (outcome == FrameOutcome.Closing)
                {
                    return "invalid_frame";
                }

                if (!connection.TryTakeToken(now, timeProvider.TimestampFrequency, _options.MaxMessagesPerSecond, _options.MessageBurst, out var overLimit))
                {
                    metrics.RequestRejected("rate_limit");
                    if (overLimit > _options.RateLimitDisconnectAfter)
                    {
                        connection.Close(WebSocketCloseStatus.PolicyViolation, $"RateLimited: more than {_options.MaxMessagesPerSecond} messages per second.", kind: "rate_limit");
                        return "rate_limit";
                    }

                    if (request.AckId is { } limitedAckId)
                    {
                        connection.TryEnqueue(JsonFrameWriter.AckError(limitedAckId, "TooManyRequests", $"The connection sends more than {_options.MaxMessagesPerSecond} messages per second; slow down."));
                    }

                    continue;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            // Outside the buffer's lifetime: producing may wait for Kafka capacity, and no buffer is held meanwhile.
            if (outcome == FrameOutcome.Dispatch)
            {
                await DispatchAsync(connection, request, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What became of one received frame.</summary>
    private enum FrameOutcome
    {
        /// <summary>A valid request, to be carried out.</summary>
        Dispatch,

        /// <summary>An invalid request, already answered with an ack error; the connection stays open.</summary>
        Answered,

        /// <summary>A frame that closes the connection.</summary>
        Closing,
    }

    /// <summary>Parses one text frame into <paramref name="request"/>; an invalid one is answered here.</summary>
    private FrameOutcome Parse(ClientConnection connection, ReadOnlySpan<byte> frame, ClientRequest request)
    {
        Reset(request);
        var status = JsonRequestParser.Parse(frame, request, out var error);
        if (status == ParseStatus.Ok)
        {
            return FrameOutcome.Dispatch;
        }

        ConnectorLog.BadFrame(logger, connection.Id, error!);
        metrics.RequestRejected("bad_request");
        if (request.AckId is { } badAckId)
        {
            connection.TryEnqueue(JsonFrameWriter.AckError(badAckId, AckErrorNames.BadRequest, error!));
        }

        // Cleared so that a rate-limit refusal of the same frame cannot answer its ackId a second time.
        Reset(request);
        if (status == ParseStatus.Malformed)
        {
            connection.Close(WebSocketCloseStatus.InvalidPayloadData, error!, kind: "invalid_frame");
            return FrameOutcome.Closing;
        }

        return FrameOutcome.Answered;
    }

    /// <summary>Carries out one parsed request.</summary>
    private async ValueTask DispatchAsync(ClientConnection connection, ClientRequest request, CancellationToken cancellationToken)
    {
        switch (request.Type)
        {
            case ClientRequestType.Ping:
                connection.TryEnqueue(JsonFrameWriter.Pong);
                break;
            case ClientRequestType.JoinGroup:
            case ClientRequestType.LeaveGroup:
                JoinOrLeave(connection, request);
                break;
            case ClientRequestType.SendToGroup:
                if (CheckGroup(connection, request, forSend: true))
                {
                    await publisher.PublishAsync(connection, request, InboundKind.SendToGroup, cancellationToken).ConfigureAwait(false);
                }

                break;
            case ClientRequestType.Event:
                await publisher.PublishAsync(connection, request, InboundKind.Event, cancellationToken).ConfigureAwait(false);
                break;
            case ClientRequestType.SequenceAck:
                break; // Only meaningful on the reliable subprotocol.
            default:
                // Unknown types are ignored so newer clients keep working; an ackId still gets its answer.
                if (request.AckId is { } unknownAckId)
                {
                    connection.TryEnqueue(JsonFrameWriter.AckError(unknownAckId, AckErrorNames.BadRequest, $"Unknown request type '{request.TypeName}'."));
                }

                break;
        }
    }

    private void JoinOrLeave(ClientConnection connection, ClientRequest request)
    {
        if (!CheckGroup(connection, request, forSend: false))
        {
            return;
        }

        if (request.Type == ClientRequestType.JoinGroup && !connections.JoinGroup(connection, request.Group!, _options.MaxGroupsPerConnection))
        {
            metrics.RequestRejected("max_groups");
            if (request.AckId is { } limitAckId)
            {
                connection.TryEnqueue(JsonFrameWriter.AckError(limitAckId, AckErrorNames.BadRequest, $"The connection is already in the maximum of {_options.MaxGroupsPerConnection} groups."));
            }

            return;
        }

        if (request.Type == ClientRequestType.LeaveGroup)
        {
            connections.LeaveGroup(connection, request.Group!);
        }

        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(JsonFrameWriter.AckSuccess(ackId));
        }
    }

    /// <summary>Checks the group name and the role the request needs; answers the ack error itself when it fails.</summary>
    private bool CheckGroup(ClientConnection connection, ClientRequest request, bool forSend)
    {
        string? name = null;
        string? message = null;
        if (!GroupNames.IsValid(request.Group))
        {
            name = AckErrorNames.BadRequest;
            message = "Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.";
        }
        else if (forSend ? !Permissions.CanSendToGroup(connection.Roles, request.Group!) : !Permissions.CanJoinLeaveGroup(connection.Roles, request.Group!))
        {
            name = AckErrorNames.Forbidden;
            message = forSend
                ? $"The client does not have permission to send to group '{request.Group}'."
                : $"The client does not have permission to join or leave group '{request.Group}'.";
        }

        if (name is null)
        {
            return true;
        }

        metrics.RequestRejected(name == AckErrorNames.Forbidden ? "forbidden" : "bad_request");

        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(JsonFrameWriter.AckError(ackId, name, message!));
        }

        return false;
    }

    private async Task RefuseAsync(HttpContext context, int statusCode, string metricReason, string reason)
    {
        metrics.Rejected(metricReason);
        ConnectorLog.ConnectionRefused(logger, statusCode, reason);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(reason, context.RequestAborted).ConfigureAwait(false);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.FirstOrDefault();
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static void Reset(ClientRequest request)
    {
        request.Type = ClientRequestType.Unknown;
        request.TypeName = null;
        request.Group = null;
        request.AckId = null;
        request.DataType = DataType.Json;
        request.Data = null;
        request.NoEcho = false;
        request.Event = null;
        request.SequenceId = null;
    }
}
