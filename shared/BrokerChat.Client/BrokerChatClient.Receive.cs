using System.Buffers;
using System.Net.WebSockets;
using BrokerChat.Client.Protocol;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client;

// One receive loop per socket, plus its keep-alive and sequence-ack loops. Frames are handled in arrival order on
// the receive loop; only the work that waits for acks (rejoining groups) runs beside it.
public sealed partial class BrokerChatClient
{
    private const int InitialReceiveBuffer = 16 * 1024;

    /// <summary>Sends a sequenceAck at once when the acknowledged id falls this far behind (as the JS client does).</summary>
    private const ulong SequenceAckJump = 300;

    /// <summary>Reads frames until the socket ends; returns the close status, or null when it dropped without one.</summary>
    private async Task<WebSocketCloseStatus?> ReceiveLoopAsync(ClientTransport transport)
    {
        var socket = transport.Socket;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= _options.MaxMessageBytes)
                    {
                        await CloseTooBigAsync(transport).ConfigureAwait(false);
                        return WebSocketCloseStatus.MessageTooBig;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_options.MaxMessageBytes, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var free = Math.Min(buffer.Length, _options.MaxMessageBytes) - length;
                var result = await socket.ReceiveAsync(buffer.AsMemory(length, free), transport.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await AnswerCloseAsync(transport).ConfigureAwait(false);
                    }

                    return socket.CloseStatus;
                }

                length += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                transport.MarkReceived();
                await HandleFrameAsync(transport, buffer.AsMemory(0, length), result.MessageType).ConfigureAwait(false);
                length = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            lock (_gate)
            {
                transport.IsClosed = true;
                if (ReferenceEquals(_transport, transport) && _connectedSignal.Task.IsCompleted)
                {
                    _connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            // After IsClosed: no invocation is written to this socket any more, and none written to it is answered.
            _invocations.FailWrittenTo(transport, "The connection was lost before the invocation's response arrived.");
            transport.Shutdown();
        }
    }

    private async Task AnswerCloseAsync(ClientTransport transport)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout, _clock);
        try
        {
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (transport.Socket.State == WebSocketState.CloseReceived)
                {
                    await transport.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            transport.Abort();
        }
    }

    private async Task CloseTooBigAsync(ClientTransport transport)
    {
        using var timeout = new CancellationTokenSource(_options.CloseTimeout, _clock);
        try
        {
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                await transport.Socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "Message too big", timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        transport.Abort();
    }

    private async Task HandleFrameAsync(ClientTransport transport, ReadOnlyMemory<byte> message, WebSocketMessageType messageType)
    {
        if (!_codec.TryRead(message, messageType, out var frame))
        {
            return; // Not well-formed: ignored, like a frame of an unknown type.
        }

        switch (frame.Kind)
        {
            case ServerFrameKind.Ack:
                if (_pending.TryRemove(frame.AckId!.Value, out var pending))
                {
                    pending.Complete(frame);
                }

                break;
            case ServerFrameKind.InvokeResponse:
                // Unknown and late ids, and answers on another socket than the invocation's, are ignored.
                _invocations.TakeAnswered(frame.InvocationId!, transport)?.Complete(frame);
                break;
            case ServerFrameKind.Message:
                await HandleMessageAsync(transport, frame).ConfigureAwait(false);
                break;
            case ServerFrameKind.Connected:
                HandleConnected(transport, frame);
                break;
            case ServerFrameKind.Disconnected:
                lock (_gate)
                {
                    _disconnectedMessage = frame.Message;
                }

                break;
            case ServerFrameKind.Presence:
                await RaiseAsync(PresenceChanged, new BrokerChatPresenceEventArgs(frame.Group!, frame.Action == WebPubSubPresenceActions.Join, new BrokerChatMember(frame.UserId, frame.ConnectionId!))).ConfigureAwait(false);
                break;
            case ServerFrameKind.Members when frame.AckId is { } listAckId && _pending.ContainsKey(listAckId):
                // Kept only for a request still waiting, so this cannot grow: its ack, next, completes it.
                _memberLists[listAckId] = new BrokerChatMemberList(frame.Members!, frame.Complete);
                break;
            case ServerFrameKind.MessagePage:
                KeepMessagePage(frame);
                break;
            case ServerFrameKind.MessageChanged:
                await RaiseMessageChangedAsync(frame).ConfigureAwait(false);
                break;
            default:
                break; // pong and types this client does not know
        }
    }

    /// <summary>
    /// Hands a data message to the application. On reliable protocols a message whose sequenceId is not above the
    /// highest one seen is a replayed duplicate: it is dropped, but an ack is still due so the server trims its buffer.
    /// The id counts as seen only once the message is in <see cref="Messages"/>.
    /// </summary>
    private async Task HandleMessageAsync(ClientTransport transport, ServerFrame frame)
    {
        var sequenceId = _reliable ? frame.SequenceId : null;
        if (sequenceId is { } id)
        {
            lock (_gate)
            {
                _sequenceAckDue = true;
                if (id <= _sequenceId)
                {
                    return;
                }
            }
        }

        if (frame.DataType is { } dataType)
        {
            var source = string.Equals(frame.From, WebPubSubMessageSources.Group, StringComparison.Ordinal) ? BrokerChatMessageSource.Group : BrokerChatMessageSource.Server;
            var message = new BrokerChatMessage(source, frame.Group, frame.FromUserId, dataType, frame.Data, frame.SequenceId, frame.History);
            if (!_messages.Writer.TryWrite(message))
            {
                transport.SetDispatching(true);
                try
                {
                    await _messages.Writer.WriteAsync(message, transport.Token).ConfigureAwait(false);
                }
                finally
                {
                    transport.SetDispatching(false);
                }
            }
        }

        if (sequenceId is { } seen)
        {
            bool ackNow;
            lock (_gate)
            {
                _sequenceId = Math.Max(_sequenceId, seen);
                ackNow = _sequenceId - _ackedSequenceId > SequenceAckJump;
            }

            if (ackNow)
            {
                await SendSequenceAckAsync(transport).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The first <c>connected</c> frame of a fresh socket sets the connection's identity, rejoins groups and raises
    /// <see cref="Connected"/>. Later ones (the server refreshing the reconnection token), and any on a recovered
    /// socket, only update the stored connection id and token.
    /// </summary>
    private void HandleConnected(ClientTransport transport, ServerFrame frame)
    {
        bool first;
        lock (_gate)
        {
            first = !transport.ConnectedSeen && !transport.IsRecovery;
            transport.ConnectedSeen = true;
            _connectionId = frame.ConnectionId;
            if (frame.ReconnectionToken is not null)
            {
                _reconnectionToken = frame.ReconnectionToken;
            }

            if (first)
            {
                _userId = frame.UserId;
            }
        }

        if (first)
        {
            _ = Task.Run(() => CompleteConnectAsync(transport, frame.ConnectionId!, frame.UserId));
        }
    }

    /// <summary>Rejoins the groups joined so far (waiting for their acks), then raises <see cref="Connected"/>.</summary>
    private async Task CompleteConnectAsync(ClientTransport transport, string connectionId, string? userId)
    {
        if (_options.AutoRejoinGroups)
        {
            string[] groups;
            lock (_gate)
            {
                groups = [.. _groups];
            }

            await Task.WhenAll(groups.Select(group => RejoinAsync(transport, group))).ConfigureAwait(false);
        }

        if (!transport.Token.IsCancellationRequested)
        {
            await RaiseAsync(Connected, new BrokerChatConnectedEventArgs(connectionId, userId)).ConfigureAwait(false);
        }
    }

    private async Task RejoinAsync(ClientTransport transport, string group)
    {
        try
        {
            bool presence;
            lock (_gate)
            {
                presence = _presenceGroups.Contains(group);
            }

            await SendWithAckAsync(id => _codec.GroupRequest(WebPubSubMessageTypes.JoinGroup, group, id, presence: presence), null, transport.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (transport.Token.IsCancellationRequested)
        {
            // The socket is gone; the next fresh connection rejoins.
        }
        catch (Exception ex)
        {
            await RaiseAsync(RejoinGroupFailed, new BrokerChatRejoinGroupFailedEventArgs(group, ex)).ConfigureAwait(false);
        }
    }

    /// <summary>Sends <c>ping</c> every keep-alive interval, and drops a socket on which nothing arrived for the keep-alive timeout.</summary>
    private async Task KeepAliveLoopAsync(ClientTransport transport)
    {
        using var timer = new PeriodicTimer(_options.KeepAliveInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(transport.Token).ConfigureAwait(false))
            {
                if (transport.Idle >= _options.KeepAliveTimeout)
                {
                    transport.Abort(); // the receive loop ends and the connection is recovered
                    return;
                }

                await WriteControlAsync(transport, _codec.Ping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SequenceAckLoopAsync(ClientTransport transport)
    {
        using var timer = new PeriodicTimer(_options.SequenceAckInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(transport.Token).ConfigureAwait(false))
            {
                await SendSequenceAckAsync(transport).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Sends <c>sequenceAck</c> with the highest id seen, if anything arrived since the last one.</summary>
    private Task SendSequenceAckAsync(ClientTransport transport)
    {
        ulong id;
        lock (_gate)
        {
            if (!_sequenceAckDue || _sequenceId == 0)
            {
                return Task.CompletedTask;
            }

            _sequenceAckDue = false;
            _ackedSequenceId = id = _sequenceId;
        }

        return WriteControlAsync(transport, _codec.SequenceAck(id));
    }
}
