using System.Net.WebSockets;

namespace BrokerChat.Client;

// Sending: requests with an ackId wait in _pending until their ack arrives; a request written to a socket that drops
// is sent again, with the same ackId, before anything else on the next socket. Writes are serialized by _sendLock
// (a WebSocket allows one send at a time), and a request is only written to the current, open socket.
public sealed partial class BrokerChatClient
{
    private async Task<WebPubSubResult> SendWithAckAsync(Func<ulong, byte[]> encode, ulong? ackId, CancellationToken cancellationToken)
    {
        var id = ackId ?? (ulong)Interlocked.Increment(ref _nextAckId);
        var pending = new PendingRequest(id, encode(id));
        if (!_pending.TryAdd(id, pending))
        {
            throw new ArgumentException($"A request with ackId {id} is still waiting for its ack.", nameof(ackId));
        }

        try
        {
            await WriteRequestAsync(pending, cancellationToken).ConfigureAwait(false);
            return await pending.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(new KeyValuePair<ulong, PendingRequest>(id, pending));
        }
    }

    private async Task<WebPubSubResult> SendWithoutAckAsync(byte[] frame, CancellationToken cancellationToken)
    {
        while (true)
        {
            var transport = await WaitForTransportAsync(cancellationToken).ConfigureAwait(false);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!IsCurrent(transport))
                {
                    continue;
                }

                await transport.Socket.SendAsync(frame, _codec.MessageType, endOfMessage: true, transport.Token).ConfigureAwait(false);
                return new WebPubSubResult(null, IsDuplicated: false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
            {
                throw new SendMessageFailedException(null, null, "The connection was lost while the message was being sent.", ex);
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }

    /// <summary>Writes a request to the current socket, waiting for one while the client recovers or reconnects.</summary>
    private Task WriteRequestAsync(PendingRequest pending, CancellationToken cancellationToken) =>
        WriteOnCurrentAsync(pending.Frame, _ => pending.Written = true, cancellationToken);

    /// <summary>
    /// Writes a frame to the current, open socket, waiting for one while the client recovers or reconnects.
    /// <paramref name="choosing"/> runs under the client's lock once a socket is chosen, before the write: the socket's
    /// closing is marked under the same lock, so a socket that drops has either been seen by it or is not chosen.
    /// A write that fails because the socket is dropping is not an error here; the socket's loss is handled as such.
    /// </summary>
    private async Task WriteOnCurrentAsync(ReadOnlyMemory<byte> frame, Action<ClientTransport> choosing, CancellationToken cancellationToken)
    {
        while (true)
        {
            var transport = await WaitForTransportAsync(cancellationToken).ConfigureAwait(false);
            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_gate)
                {
                    if (!ReferenceEquals(transport, _transport) || transport.IsClosed)
                    {
                        continue;
                    }

                    choosing(transport);
                }

                try
                {
                    await transport.Socket.SendAsync(frame, _codec.MessageType, endOfMessage: true, transport.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The socket is dropping; a request goes out again on the next one, an invocation fails.
                }

                return;
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }

    /// <summary>Writes a frame of the client's own (ping, sequenceAck); lost with the socket if it drops.</summary>
    private async Task WriteControlAsync(ClientTransport transport, ReadOnlyMemory<byte> frame)
    {
        try
        {
            await _sendLock.WaitAsync(transport.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (IsCurrent(transport))
            {
                await transport.Socket.SendAsync(frame, _codec.MessageType, endOfMessage: true, transport.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The open socket; waits while there is none; throws once the client is stopped.</summary>
    private async Task<ClientTransport> WaitForTransportAsync(CancellationToken cancellationToken)
    {
        Task<ClientTransport?> signal;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed && _runTask is null, this);
            signal = _connectedSignal.Task;
        }

        return await signal.WaitAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The client is not started.");
    }

    private bool IsCurrent(ClientTransport transport)
    {
        lock (_gate)
        {
            return ReferenceEquals(transport, _transport) && !transport.IsClosed;
        }
    }

    /// <summary>
    /// Called when a socket is lost: every request written and not acknowledged is counted for a resend, or fails
    /// once it was resent <see cref="BrokerChatClientOptions.MaxResendAttempts"/> times.
    /// </summary>
    private void CountResends()
    {
        foreach (var pending in _pending.Values)
        {
            if (!pending.Written)
            {
                continue;
            }

            if (pending.Resends >= _options.MaxResendAttempts)
            {
                _pending.TryRemove(new KeyValuePair<ulong, PendingRequest>(pending.AckId, pending));
                pending.Fail($"The connection was lost before the ack of request {pending.AckId} arrived (resent {pending.Resends} times).");
            }
            else
            {
                pending.Resends++;
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="transport"/> the current socket: first sends again every request still waiting for its
    /// ack (oldest first, same ackIds), then lets new requests through.
    /// </summary>
    private async Task ActivateAsync(ClientTransport transport, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                _transport = transport;
            }

            foreach (var pending in _pending.Values.Where(p => p.Written).OrderBy(p => p.AckId))
            {
                try
                {
                    await transport.Socket.SendAsync(pending.Frame, _codec.MessageType, endOfMessage: true, transport.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    break;
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }

        transport.StartLoop(KeepAliveLoopAsync);
        if (_reliable)
        {
            transport.StartLoop(SequenceAckLoopAsync);
        }

        lock (_gate)
        {
            if (_state is not BrokerChatClientState.Stopping)
            {
                _state = BrokerChatClientState.Connected;
            }

            _connectedSignal.TrySetResult(transport);
        }
    }

    private void FailAllPending(string message)
    {
        foreach (var pending in _pending.Values)
        {
            _pending.TryRemove(new KeyValuePair<ulong, PendingRequest>(pending.AckId, pending));
            pending.Fail(message);
        }
    }
}
