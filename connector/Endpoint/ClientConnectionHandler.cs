using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Inbound;
using BrokerChat.Connector.Outbound;
using BrokerChat.Connector.Requests;
using BrokerChat.Connector.Sessions;
using BrokerChat.Connector.Transport;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// The whole life of one client connection: the upgrade request is checked (token, subprotocol, limits), the
/// handshake completed, the connection registered, <c>connected</c> sent, and the receive loop run; in <c>finally</c>
/// everything is unregistered and released, whichever way the connection ended. Connections normally arrive from
/// <see cref="ClientUpgradeMiddleware"/> straight off Kestrel's transport, and the WebSocket protocol is spoken on
/// the raw connection (<see cref="WebSocketReceiver"/> and the outbound drain of <see cref="ClientConnection"/>), so an
/// idle connection holds no HTTP request state. An upgrade that arrives another way (after other requests on a
/// kept-alive HTTP/1.1 connection, over TLS terminated by Kestrel, or as an HTTP/2 extended CONNECT) comes through
/// the HTTP pipeline and is served by the same code over the upgraded stream.
/// </summary>
internal sealed class ClientConnectionHandler(
    ConnectionIndex connections,
    ConnectionLimiter limiter,
    AccessTokenService tokens,
    InboundPublisher publisher,
    ReliableSessions sessions,
    ReconnectionTokens reconnectionTokens,
    DeliveryDispatcher dispatcher,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<ClientConnectionHandler> logger)
{
    /// <summary>The query parameter of a reconnection that asks to resume an earlier connection.</summary>
    private const string RecoveryConnectionIdParameter = "awps_connection_id";

    /// <summary>The query parameter carrying the reconnection token of the connection to resume.</summary>
    private const string ReconnectionTokenParameter = "awps_reconnection_token";

    private readonly ConnectorOptions _options = options.Value;
    private readonly Action<int> _frameSent = metrics.FrameOut;

    /// <summary>What the upgrade request asks for, however it arrived; <paramref name="RecoveryConnectionId"/> is set when it asks to resume a session.</summary>
    private readonly record struct UpgradeRequest(string Hub, string? AccessToken, string? Authorization, string[] Protocols, IPAddress? Address, string? RecoveryConnectionId, string? ReconnectionToken);

    /// <summary>Why an upgrade is refused: the HTTP status, the metric tag and the text the client gets.</summary>
    private readonly record struct Refusal(int Status, string Metric, string Reason);

    /// <summary>The hub named by a client-endpoint path (<c>/client/hubs/{hub}</c>, or <c>/client</c> with <c>?hub=</c>); false for any other path.</summary>
    public static bool TryMatchRoute(string path, string? hubFromQuery, out string hub)
    {
        const string hubs = "/client/hubs/";
        if (string.Equals(path, "/client", StringComparison.OrdinalIgnoreCase))
        {
            hub = hubFromQuery ?? "";
            return true;
        }

        if (path.StartsWith(hubs, StringComparison.OrdinalIgnoreCase) && path.Length > hubs.Length && path.IndexOf('/', hubs.Length) < 0)
        {
            hub = Uri.UnescapeDataString(path[hubs.Length..]);
            return true;
        }

        hub = "";
        return false;
    }

    /// <summary>
    /// Answers an upgrade read straight off a connection by <see cref="ClientUpgradeMiddleware"/>: on refusal the
    /// response saying why is written and null returned; otherwise the 101 response is written and the admitted
    /// connection returned (the caller flushes either), to be run by <see cref="RunAsync"/>, which releases its slot.
    /// </summary>
    public ClientConnection? TryAdmit(ConnectionContext context, HttpRequestHead head, string hub, out string[] groups)
    {
        groups = [];
        var output = context.Transport.Output;
        var key = head["Sec-WebSocket-Key"];
        var refusal = CheckHeaders(WebSocketHandshake.CheckUpgradeHeaders(head["Upgrade"], head["Connection"], head["Sec-WebSocket-Version"], key));
        var request = new UpgradeRequest(hub, head.QueryValue("access_token"), head["Authorization"],
            WebSocketHandshake.Protocols(head["Sec-WebSocket-Protocol"]), (context.RemoteEndPoint as IPEndPoint)?.Address,
            head.QueryValue(RecoveryConnectionIdParameter), head.QueryValue(ReconnectionTokenParameter));
        var connection = refusal is null ? Admit(request, out refusal, out groups) : null;
        if (connection is null)
        {
            Refused(refusal!.Value);
            WebSocketHandshake.WriteRefusal(output, refusal.Value.Status, refusal.Value.Reason);
            return null;
        }

        WebSocketHandshake.WriteAccept(output, key!, connection.Subprotocol);
        return connection;
    }

    /// <summary>Serves an upgrade that came through the HTTP pipeline (see the class remarks).</summary>
    public async Task HandleAsync(HttpContext context, string hub)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var connect = context.Features.Get<IHttpExtendedConnectFeature>();
        var headers = context.Request.Headers;
        var extendedConnect = connect?.IsExtendedConnect == true;
        Refusal? refusal;
        if (extendedConnect)
        {
            refusal = string.Equals(connect!.Protocol, "websocket", StringComparison.OrdinalIgnoreCase) && headers.SecWebSocketVersion.ToString() == "13"
                ? null
                : new Refusal(StatusCodes.Status400BadRequest, "bad_request", "This endpoint accepts WebSocket version 13 connections only.");
        }
        else
        {
            refusal = upgrade?.IsUpgradableRequest == true
                ? CheckHeaders(WebSocketHandshake.CheckUpgradeHeaders(headers.Upgrade, headers.Connection, headers.SecWebSocketVersion, headers.SecWebSocketKey))
                : new Refusal(StatusCodes.Status400BadRequest, "bad_request", "This endpoint accepts WebSocket connections only.");
        }

        var request = new UpgradeRequest(hub, context.Request.Query["access_token"].FirstOrDefault(), headers.Authorization.FirstOrDefault(),
            WebSocketHandshake.Protocols(headers.SecWebSocketProtocol), context.Connection.RemoteIpAddress,
            context.Request.Query[RecoveryConnectionIdParameter].FirstOrDefault(), context.Request.Query[ReconnectionTokenParameter].FirstOrDefault());
        var groups = Array.Empty<string>();
        var connection = refusal is null ? Admit(request, out refusal, out groups) : null;
        if (connection is null)
        {
            Refused(refusal!.Value);
            context.Response.StatusCode = refusal.Value.Status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            if (refusal.Value.Status == StatusCodes.Status426UpgradeRequired)
            {
                context.Response.Headers.SecWebSocketVersion = "13";
            }

            await context.Response.WriteAsync(refusal.Value.Reason, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        Stream stream;
        if (connection.Subprotocol is { } subprotocol)
        {
            context.Response.Headers.SecWebSocketProtocol = subprotocol;
        }

        try
        {
            if (extendedConnect)
            {
                stream = await connect!.AcceptAsync().ConfigureAwait(false);
            }
            else
            {
                context.Response.Headers.Connection = "Upgrade";
                context.Response.Headers.Upgrade = "websocket";
                context.Response.Headers.SecWebSocketAccept = WebSocketHandshake.AcceptValue(headers.SecWebSocketKey.ToString());
                stream = await upgrade!.UpgradeAsync().ConfigureAwait(false);
            }
        }
        catch
        {
            Abandon(connection);
            throw;
        }

        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            await RunAsync(connection, groups, new DuplexPipe(input, output), context, AbortHttpContext).ConfigureAwait(false);
        }
        finally
        {
            await output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends a connection served on a Kestrel transport.</summary>
    public static readonly Action<object> AbortConnectionContext = static transport =>
        ((ConnectionContext)transport).Abort(new ConnectionAbortedException("The connector ended the WebSocket connection."));

    private static readonly Action<object> AbortHttpContext = static transport => ((HttpContext)transport).Abort();

    /// <summary>An upgraded stream's two directions.</summary>
    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private static Refusal? CheckHeaders((int Status, string Reason)? problem) =>
        problem is { } p ? new Refusal(p.Status, "bad_request", p.Reason) : null;

    /// <summary>
    /// Checks the hub, the access token (or, for a recovery, the reconnection token) and the subprotocol, then takes a
    /// connection slot and creates the connection; null when refused. <paramref name="groups"/> are the groups the
    /// token joins at connect. A recovery that cannot be honoured is admitted all the same and closed with 1008
    /// once upgraded, which tells the client to connect afresh rather than retry.
    /// </summary>
    private ClientConnection? Admit(UpgradeRequest request, out Refusal? refusal, out string[] groups)
    {
        refusal = null;
        groups = [];
        if (!HubNames.IsValid(request.Hub))
        {
            refusal = new Refusal(StatusCodes.Status400BadRequest, "bad_request", "Invalid hub name.");
            return null;
        }

        var hub = HubNames.Normalize(request.Hub);
        var protocol = ClientProtocol.Choose(request.Protocols, out var unsupported);
        if (protocol is null)
        {
            refusal = new Refusal(StatusCodes.Status400BadRequest, "bad_request", $"The subprotocol {unsupported} is not supported; offer one of {string.Join(", ", ClientProtocol.PubSub.Select(p => p.Name))}, or none for a simple WebSocket client.");
            return null;
        }

        // A simple client's first offer is echoed, because browsers fail a handshake whose offer is not answered.
        var subprotocol = protocol.IsSimple ? request.Protocols.FirstOrDefault() : protocol.Name;
        ResumeRequest? resume = null;
        ClientIdentity client;
        if (request.RecoveryConnectionId is { } resumeId)
        {
            // The access token is not checked (the client appends to its first URL, whose token may have expired):
            // the reconnection token proves the session.
            resume = PlanResume(resumeId, request.ReconnectionToken, hub, protocol, out var existing);
            if (existing is not null)
            {
                return existing;
            }

            client = resume.State is { } state ? new ClientIdentity(state.UserId, state.Roles, []) : new ClientIdentity(null, [], []);
        }
        else
        {
            var identity = tokens.Validate(request.AccessToken ?? BearerToken(request.Authorization), hub, out var failure);
            if (identity is null)
            {
                refusal = new Refusal(StatusCodes.Status401Unauthorized, "unauthorized", failure!);
                return null;
            }

            client = identity;
        }

        refusal = limiter.TryAcquire(client.UserId, request.Address) switch
        {
            ConnectionLimiter.Refusal.MaxConnections => new Refusal(StatusCodes.Status503ServiceUnavailable, "max_connections", $"This server holds its maximum of {_options.MaxConnections} connections; connect to another."),
            ConnectionLimiter.Refusal.MaxPerUser => new Refusal(StatusCodes.Status429TooManyRequests, "max_per_user", $"This user already has {_options.MaxConnectionsPerUser} connections."),
            ConnectionLimiter.Refusal.MaxPerAddress => new Refusal(StatusCodes.Status429TooManyRequests, "max_per_address", $"This address already has {_options.MaxConnectionsPerAddress} connections."),
            _ => null,
        };
        if (refusal is not null)
        {
            return null;
        }

        groups = client.Groups;
        connections.HandlerStarted();
        var id = resume is { State: not null, Kind: not ResumeKind.Refused } ? resume.State.ConnectionId : ConnectorIdentity.NewConnectionId();
        return new ClientConnection(id, hub, client.UserId, client.Roles, _options.OutboundQueueMessages, _options.OutboundQueueBytes, timeProvider, request.Address, protocol,
            protocol.IsReliable ? new ReliableStream(_options.ReliableBufferMessages, _options.ReliableBufferBytes) : null)
        {
            FrameSent = _frameSent,
            Subprotocol = subprotocol,
            Resume = resume,
        };
    }

    /// <summary>
    /// Works out how a recovery request is served: by the session still held here (returned in
    /// <paramref name="existing"/>, claimed for this client), from the reconnection token, or not at all.
    /// </summary>
    private ResumeRequest PlanResume(string connectionId, string? token, string hub, ClientProtocol protocol, out ClientConnection? existing)
    {
        existing = null;
        if (!protocol.IsReliable)
        {
            return ResumeRequest.Refused($"Only the reliable subprotocols recover connections; {protocol.Name ?? "a simple WebSocket client"} does not.");
        }

        var state = reconnectionTokens.Read(token, connectionId, out var failure);
        if (state is null)
        {
            return ResumeRequest.Refused(failure!);
        }

        if (!string.Equals(state.Hub, hub, StringComparison.Ordinal) || !string.Equals(state.Protocol, protocol.Name, StringComparison.OrdinalIgnoreCase))
        {
            return ResumeRequest.Refused("The reconnection token is for another hub or subprotocol.");
        }

        if (connections.TryGet(connectionId, out var held) && held.IsReliable)
        {
            if (held.TryResume())
            {
                held.Resume = ResumeRequest.Held;
                existing = held;
                return ResumeRequest.Held;
            }

            if (!held.IsDetached && !held.SessionEnded)
            {
                // The old transport looks alive (a half-open socket the client gave up on): it is cut off, its session
                // kept, and this client takes the session over once it is released.
                held.Abort();
                return new ResumeRequest(ResumeKind.TakeOver, state, null);
            }
        }

        return new ResumeRequest(ResumeKind.FromToken, state, null);
    }

    /// <summary>
    /// Gives back what <see cref="Admit"/> took when the upgrade could not be completed (the client left during the
    /// handshake): a slot, or the claim on a session held here, which is left for the client's next attempt.
    /// </summary>
    public void Abandon(ClientConnection connection)
    {
        if (connection.Resume?.Kind == ResumeKind.Held)
        {
            connection.Resume = null;
            connection.TryDetach();
            return;
        }

        sessions.ReleaseSlot(connection);
    }

    private void Refused(Refusal refusal)
    {
        metrics.Rejected(refusal.Metric);
        EndpointLog.ConnectionRefused(logger, refusal.Status, refusal.Reason);
    }

    /// <summary>
    /// The life of an admitted connection, in one method: register it, send <c>connected</c>, read and carry out
    /// messages until the client closes or the connection is ended, and in <c>finally</c> unregister it, let the
    /// closing frames go out, and release its slot, whichever way it ended. The wait for data is the transport's
    /// (zero-byte reads below), and nothing else waits while the connection is idle.
    /// </summary>
    public async Task RunAsync(ClientConnection connection, string[] groups, IDuplexPipe transport, object transportOwner, Action<object> abortTransport)
    {
        metrics.Opened();
        var input = transport.Input;
        var receiver = new WebSocketReceiver(_options.MaxMessageBytes);
        var reason = "client_close";
        try
        {
            connection = await StartAsync(connection, groups, transport.Output, transportOwner, abortTransport).ConfigureAwait(false);
            EndpointLog.ConnectionOpened(logger, connection.Id, connection.Hub, connection.UserId);
            ClientRequest? request = null;
            while (true)
            {
                // No cancellation token: ending the connection aborts the transport, which ends this read.
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (receiver.TryReceive(ref buffer, out var message))
                {
                    // Frames after this one stay unexamined, so the next read returns them at once.
                    input.AdvanceTo(buffer.Start);
                }
                else
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (!result.IsCompleted && !result.IsCanceled)
                    {
                        continue;
                    }

                    message = new WebSocketMessage(WebSocketReceiveKind.EndOfStream);
                }

                var now = timeProvider.GetTimestamp();
                connection.MarkReceived(now);
                var outcome = Handle(connection, message, now, request ??= new ClientRequest(), out var ended);
                if (ended is not null)
                {
                    reason = ended;
                    break;
                }

                // Carried out with no receive buffer held; producing may wait for Kafka capacity, and meanwhile
                // nothing is read from the socket, so TCP pushes back on the client.
                if (outcome == FrameOutcome.Dispatch)
                {
                    await DispatchAsync(connection, request).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            reason = "abort";
        }
        finally
        {
            connection.ReceiveEnded();
            // A transport that ended without a final close leaves a reliable session for the client to resume.
            connection.Close(WebSocketCloseStatus.NormalClosure, "", discardQueued: true, sendDisconnected: false, session: SessionOnClose.Keep);
            await connection.WhenDrainedAsync().ConfigureAwait(false);
            receiver.Dispose();
            var closedBy = connection.CloseKind ?? reason;
            metrics.Closed(closedBy);
            EndpointLog.ConnectionClosed(logger, connection.Id, connection.CloseReason is { Length: > 0 } serverReason ? serverReason : closedBy);
            if (connection.IsRecoverable && connection.TryDetach())
            {
                EndpointLog.SessionDetached(logger, connection.Id);
            }
            else
            {
                sessions.End(connection);
            }
        }
    }

    /// <summary>
    /// Connects an admitted connection to its transport and starts it: a new one is registered and sent
    /// <c>connected</c>; a resumed session gets everything it did not acknowledge again; a recovery that cannot be
    /// honoured is closed with 1008. Returns the connection that now owns the transport (the session held here, when
    /// one is taken over).
    /// </summary>
    private async Task<ClientConnection> StartAsync(ClientConnection connection, string[] groups, PipeWriter output, object transportOwner, Action<object> abortTransport)
    {
        var resume = connection.Resume;
        connection.Resume = null;
        if (resume?.Kind == ResumeKind.TakeOver && await TakeOverAsync(connection, resume.State!).ConfigureAwait(false) is { } held)
        {
            resume = ResumeRequest.Held;
            connection = held;
        }

        connection.Attach(output, transportOwner, abortTransport);
        switch (resume?.Kind)
        {
            case null:
                sessions.Register(connection, groups);
                break;
            case ResumeKind.Held:
                metrics.Resumed("local");
                EndpointLog.SessionResumed(logger, connection.Id, "local");
                break;
            case ResumeKind.FromToken or ResumeKind.TakeOver:
                var state = resume.State!;
                var failure = state.NextPartition >= 0 && !await dispatcher.WaitCaughtUpAsync(state.NextPartition, _options.RecoveryCatchUpTimeout).ConfigureAwait(false)
                    ? "This server is behind on the message stream; connect again."
                    : sessions.ResumeFromToken(connection, state);
                if (failure is null)
                {
                    EndpointLog.SessionResumed(logger, connection.Id, "token");
                }
                else
                {
                    RefuseRecovery(connection, failure);
                }

                break;
            default:
                RefuseRecovery(connection, resume.Failure!);
                break;
        }

        return connection;
    }

    /// <summary>
    /// Waits (up to the close timeout) for the session whose old transport was cut off to be released, then claims it
    /// for <paramref name="replacement"/>'s client; null when it was not released in time (the session is then
    /// resumed from the token, if it can be), in which case the replacement keeps the slot it took.
    /// </summary>
    private async Task<ClientConnection?> TakeOverAsync(ClientConnection replacement, ReconnectionState state)
    {
        if (!connections.TryGet(state.ConnectionId, out var held))
        {
            return null;
        }

        var deadline = timeProvider.GetTimestamp() + (long)(_options.CloseTimeout.TotalSeconds * timeProvider.TimestampFrequency);
        while (!held.IsDetached && !held.SessionEnded && timeProvider.GetTimestamp() < deadline)
        {
            await held.WhenDrainedAsync().ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(10), timeProvider).ConfigureAwait(false);
        }

        if (!held.TryResume())
        {
            return null;
        }

        // The replacement's own slot is given back: the session keeps the one it holds.
        sessions.ReleaseSlot(replacement);
        return held;
    }

    /// <summary>Accepts, then closes with 1008: the client stops recovering and connects afresh.</summary>
    private void RefuseRecovery(ClientConnection connection, string reason)
    {
        metrics.Rejected("recovery_refused");
        EndpointLog.RecoveryRefused(logger, connection.Id, reason);
        if (!connections.TryGet(connection.Id, out _))
        {
            connections.Add(connection);
        }

        connection.Close(WebSocketCloseStatus.PolicyViolation, reason, kind: "recovery_refused");
    }

    /// <summary>Acts on one received message; <paramref name="ended"/> is set (to the close reason) when the connection must end.</summary>
    private FrameOutcome Handle(ClientConnection connection, WebSocketMessage message, long now, ClientRequest request, out string? ended)
    {
        ended = null;
        switch (message.Kind)
        {
            case WebSocketReceiveKind.EndOfStream:
                ended = "abort";
                return FrameOutcome.Closing;
            case WebSocketReceiveKind.Close:
                ended = "client_close";
                if (message.CloseCode == WebSocketCloseCodes.NormalClosure)
                {
                    // 1000 is final: the session ends. Any other code (or none, as web clients send) leaves it resumable.
                    connection.Close(WebSocketCloseStatus.NormalClosure, "", discardQueued: true, sendDisconnected: false);
                }

                return FrameOutcome.Closing;
            case WebSocketReceiveKind.Failed:
                ended = message.CloseCode == WebSocketCloseCodes.MessageTooBig ? "message_too_big" : "invalid_frame";
                connection.Close((WebSocketCloseStatus)message.CloseCode, message.Reason!, kind: ended);
                return FrameOutcome.Closing;
            case WebSocketReceiveKind.Ping:
                connection.TrySendPong(message.Payload);
                message.Return();
                return FrameOutcome.Answered;
            case WebSocketReceiveKind.Pong:
                return FrameOutcome.Answered;
            case WebSocketReceiveKind.Binary when connection.Protocol.Encoding == ProtocolEncoding.Json:
            case WebSocketReceiveKind.Text when connection.Protocol.Encoding == ProtocolEncoding.MessagePack:
                message.Return();
                ended = "invalid_frame";
                connection.Close(WebSocketCloseStatus.InvalidMessageType, $"{(message.Kind == WebSocketReceiveKind.Binary ? "Binary" : "Text")} frames are not part of {connection.Protocol.Name}.", kind: ended);
                return FrameOutcome.Closing;
        }

        try
        {
            if (connection.IsClosing)
            {
                return FrameOutcome.Answered; // the server's close is under way: messages are no longer carried out
            }

            metrics.FrameIn(message.Length);
            var outcome = connection.IsSimple ? AsMessageEvent(message, request) : Parse(connection, (message.Buffer ?? []).AsMemory(0, message.Length), request);
            if (outcome == FrameOutcome.Closing)
            {
                ended = "invalid_frame";
                return outcome;
            }

            if (!connection.TryTakeToken(now, timeProvider.TimestampFrequency, _options.MaxMessagesPerSecond, _options.MessageBurst, out var overLimit))
            {
                metrics.RequestRejected("rate_limit");
                if (overLimit > _options.RateLimitDisconnectAfter)
                {
                    ended = "rate_limit";
                    connection.Close(WebSocketCloseStatus.PolicyViolation, $"RateLimited: more than {_options.MaxMessagesPerSecond} messages per second.", kind: ended);
                    return FrameOutcome.Closing;
                }

                if (request.AckId is { } limitedAckId)
                {
                    connection.TryEnqueue(connection.Writer.AckError(limitedAckId, AckErrorNames.TooManyRequests, $"The connection sends more than {_options.MaxMessagesPerSecond} messages per second; slow down."));
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
        finally
        {
            message.Return();
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

    /// <summary>A simple client's frame, whatever it holds, is a <c>message</c> event with its bytes as they came.</summary>
    private static FrameOutcome AsMessageEvent(WebSocketMessage message, ClientRequest request)
    {
        Reset(request);
        request.Type = ClientRequestType.Event;
        request.Event = "message";
        request.DataType = message.Kind == WebSocketReceiveKind.Binary ? DataType.Binary : DataType.Text;
        request.Data = message.Payload.ToArray();
        return FrameOutcome.Dispatch;
    }

    /// <summary>Parses one text frame into <paramref name="request"/>; an invalid one is answered here.</summary>
    private FrameOutcome Parse(ClientConnection connection, ReadOnlyMemory<byte> frame, ClientRequest request)
    {
        Reset(request);
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
    private async ValueTask DispatchAsync(ClientConnection connection, ClientRequest request)
    {
        switch (request.Type)
        {
            case ClientRequestType.Ping:
                connection.TryEnqueue(connection.Writer.Pong);
                break;
            case ClientRequestType.JoinGroup:
            case ClientRequestType.LeaveGroup:
                JoinOrLeave(connection, request);
                break;
            case ClientRequestType.ListMembers:
                if (CheckGroup(connection, request, GroupAccess.List))
                {
                    sessions.ListMembers(connection, request.Group!, request.AckId);
                }

                break;
            case ClientRequestType.SendToGroup:
                if (CheckGroup(connection, request, GroupAccess.Send))
                {
                    await publisher.PublishAsync(connection, request, InboundKind.SendToGroup, connection.Aborted).ConfigureAwait(false);
                }

                break;
            case ClientRequestType.Event:
                await publisher.PublishAsync(connection, request, InboundKind.Event, connection.Aborted).ConfigureAwait(false);
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

    private void JoinOrLeave(ClientConnection connection, ClientRequest request)
    {
        if (!CheckGroup(connection, request, GroupAccess.JoinLeave))
        {
            return;
        }

        if (request.Type == ClientRequestType.JoinGroup && !sessions.Join(connection, request.Group!, _options.MaxGroupsPerConnection, request.History ?? 0, request.Presence))
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
            sessions.Leave(connection, request.Group!);
        }

        if (request.AckId is { } ackId)
        {
            connection.RecordSucceeded(ackId);
            connection.TryEnqueue(connection.Writer.AckSuccess(ackId));
        }
    }

    /// <summary>What a request does with a group, for the permission it needs.</summary>
    private enum GroupAccess
    {
        /// <summary>Send to it: the sendToGroup role.</summary>
        Send,

        /// <summary>Join or leave it: the joinLeaveGroup role.</summary>
        JoinLeave,

        /// <summary>List its members: being one of them, or the joinLeaveGroup role.</summary>
        List,
    }

    /// <summary>Checks the group name and the role the request needs; answers the ack error itself when it fails.</summary>
    private bool CheckGroup(ClientConnection connection, ClientRequest request, GroupAccess access)
    {
        string? name = null;
        string? message = null;
        if (!GroupNames.IsValid(request.Group))
        {
            name = AckErrorNames.BadRequest;
            message = "Invalid group name: it must be 1 to 1024 characters, not only whitespace, with no control characters.";
        }
        else if (access switch
        {
            GroupAccess.Send => !Permissions.CanSendToGroup(connection.Roles, request.Group!),
            GroupAccess.List => !Permissions.CanJoinLeaveGroup(connection.Roles, request.Group!) && !IsMember(connection, request.Group!),
            _ => !Permissions.CanJoinLeaveGroup(connection.Roles, request.Group!),
        })
        {
            name = AckErrorNames.Forbidden;
            message = access switch
            {
                GroupAccess.Send => $"The client does not have permission to send to group '{request.Group}'.",
                GroupAccess.List => $"The client does not have permission to list the members of group '{request.Group}'.",
                _ => $"The client does not have permission to join or leave group '{request.Group}'.",
            };
        }

        if (name is null)
        {
            return true;
        }

        metrics.RequestRejected(name == AckErrorNames.Forbidden ? "forbidden" : "bad_request");

        if (request.AckId is { } ackId)
        {
            connection.TryEnqueue(connection.Writer.AckError(ackId, name, message!));
        }

        return false;
    }

    /// <summary>Whether the connection is in the group (its groups change only through its own requests, handled one at a time).</summary>
    private static bool IsMember(ClientConnection connection, string group) => connection.HasGroups && connection.Groups.Contains(group);

    private static string? BearerToken(string? header) =>
        header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;

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
        request.History = null;
        request.Presence = false;
    }
}
