using System.IO.Pipelines;
using System.Net.WebSockets;
using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Groups;
using BrokerChat.Connector.Inbound;
using BrokerChat.Connector.Outbound;
using BrokerChat.Connector.Requests;
using BrokerChat.Connector.Sessions;
using BrokerChat.Connector.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrokerChat.Connector.Endpoint;

/// <summary>
/// The life of one admitted client connection, in one method (<see cref="RunAsync"/>): register it, send
/// <c>connected</c> (or resume its session), run the receive loop, and in <c>finally</c> unregister it and release
/// its slot, whichever way it ended. Connections arrive admitted from <see cref="ClientUpgradeMiddleware"/> (straight
/// off Kestrel's transport) or <see cref="HttpUpgradeEndpoint"/> (through the HTTP pipeline); the WebSocket protocol
/// is spoken on the raw connection (<see cref="WebSocketReceiver"/> in, the outbound drain of
/// <see cref="ClientConnection"/> out), so an idle connection holds no HTTP request state. Control frames are
/// answered here; data frames go to the <see cref="RequestDispatcher"/>.
/// </summary>
internal sealed class ClientConnectionHandler(
    ConnectionIndex connections,
    ConnectionAdmission admission,
    GroupMembership membership,
    ConnectionEvents events,
    RequestDispatcher dispatcher,
    ReliableSessions sessions,
    ResumePlanner resumes,
    EndedSessions ended,
    DeliveryDispatcher deliveries,
    ConnectorMetrics metrics,
    IOptions<ConnectorOptions> options,
    TimeProvider timeProvider,
    ILogger<ClientConnectionHandler> logger)
{
    private readonly ConnectorOptions _options = options.Value;

    /// <summary>
    /// The life of an admitted connection: register it, send <c>connected</c>, read and carry out messages until the
    /// client closes or the connection is ended, and in <c>finally</c> unregister it, let the closing frames go out,
    /// and release its slot, whichever way it ended. The wait for data is the transport's (zero-byte reads below), and
    /// nothing else waits while the connection is idle.
    /// </summary>
    public async Task RunAsync(AdmittedClient admitted, IDuplexPipe transport, object transportOwner, Action<object> abortTransport)
    {
        metrics.Opened();
        var connection = admitted.Connection;
        var input = transport.Input;
        var receiver = new WebSocketReceiver(_options.MaxMessageBytes);
        var reason = "client_close";
        try
        {
            connection = await StartAsync(admitted, transport, transportOwner, abortTransport).ConfigureAwait(false);
            EndpointLog.ConnectionOpened(logger, connection.Id, connection.Hub, connection.UserId);
            ClientRequest? request = null;
            while (true)
            {
                // No cancellation token: ending the connection aborts the transport or cancels this read, which ends it.
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
                var outcome = Receive(connection, message, now, request ??= new ClientRequest(), out var ended);
                if (ended is not null)
                {
                    reason = ended;
                    break;
                }

                // Carried out with no receive buffer held; producing may wait for Kafka capacity, and meanwhile
                // nothing is read from the socket, so TCP pushes back on the client.
                if (outcome == FrameOutcome.Dispatch)
                {
                    await dispatcher.DispatchAsync(connection, request).ConfigureAwait(false);
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
            var why = connection.CloseReason is { Length: > 0 } serverReason ? serverReason : closedBy;
            EndpointLog.ConnectionClosed(logger, connection.Id, why);
            if (connection.IsRecoverable && connection.TryDetach())
            {
                EndpointLog.SessionDetached(logger, connection.Id);
            }
            else
            {
                admission.End(connection, why);
            }
        }
    }

    /// <summary>
    /// Connects an admitted connection to its transport and starts it: a new one is registered and sent
    /// <c>connected</c>; a resumed session gets everything it did not acknowledge again; a recovery that cannot be
    /// honoured is closed with 1008. Returns the connection that now owns the transport (the session held here, when
    /// one is taken over).
    /// </summary>
    private async Task<ClientConnection> StartAsync(AdmittedClient admitted, IDuplexPipe transport, object transportOwner, Action<object> abortTransport)
    {
        var connection = admitted.Connection;
        var resume = admitted.Resume;
        if (resume?.Kind == ResumeKind.TakeOver && await resumes.TakeOverAsync(resume.State!).ConfigureAwait(false) is { } held)
        {
            // The replacement's own slot is given back: the session keeps the one it holds.
            admission.Release(connection);
            resume = ResumeRequest.Held;
            connection = held;
        }

        connection.Attach(transport.Output, transportOwner, abortTransport, transport.Input.CancelPendingRead);
        switch (resume?.Kind)
        {
            case null:
                membership.Register(connection, admitted.Groups);
                events.Connected(connection, admitted.Groups); // before the receive loop: ahead of the connection's events
                break;
            case ResumeKind.Held:
                metrics.Resumed("local");
                EndpointLog.SessionResumed(logger, connection.Id, "local");
                break;
            case ResumeKind.FromToken or ResumeKind.TakeOver:
                var state = resume.State!;
                var failure = await CatchUpAsync(state).ConfigureAwait(false) ?? await sessions.ResumeFromTokenAsync(connection, state).ConfigureAwait(false);
                if (failure is null)
                {
                    connection.Announced = true; // its first connector told the functions it opened
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
    /// Waits until this connector has read what the client may have been sent after its token, and the end of the
    /// session if the server ended it on any connector; why the session cannot be resumed, or null.
    /// </summary>
    private async Task<string?> CatchUpAsync(ReconnectionState state)
    {
        var endPartition = ended.PartitionOf(state.Hub, state.ConnectionId);
        var timeout = _options.RecoveryCatchUpTimeout;
        if ((state.NextPartition >= 0 && !await deliveries.WaitCaughtUpAsync(state.NextPartition, timeout).ConfigureAwait(false))
            || (endPartition != state.NextPartition && !await deliveries.WaitCaughtUpAsync(endPartition, timeout).ConfigureAwait(false)))
        {
            return "This server is behind on the message stream; connect again.";
        }

        return ended.Contains(state.Hub, state.ConnectionId) ? ResumePlanner.EndedByServer : null;
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
    private FrameOutcome Receive(ClientConnection connection, WebSocketMessage message, long now, ClientRequest request, out string? ended)
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
            case WebSocketReceiveKind.Binary when connection.Protocol.Encoding == Frames.ProtocolEncoding.Json:
            case WebSocketReceiveKind.Text when connection.Protocol.Encoding == Frames.ProtocolEncoding.MessagePack:
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
            return dispatcher.Accept(connection, message, now, request, out ended);
        }
        finally
        {
            message.Return();
        }
    }
}
