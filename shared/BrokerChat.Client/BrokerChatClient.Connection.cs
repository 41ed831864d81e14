using System.Net.WebSockets;
using BrokerChat.Contracts.WebPubSub;

namespace BrokerChat.Client;

// The life of the client after StartAsync, as one loop: receive until the socket ends; then, unless stopping, try to
// resume the same connection (reliable protocols), else report the loss and open a fresh connection with backoff.
public sealed partial class BrokerChatClient
{
    private const WebSocketCloseStatus PolicyViolation = WebSocketCloseStatus.PolicyViolation;

    private async Task RunAsync(ClientTransport transport, CancellationTokenSource stopping)
    {
        var stop = stopping.Token;
        try
        {
            while (true)
            {
                var closeStatus = await ReceiveLoopAsync(transport).ConfigureAwait(false);
                await transport.DisposeAsync().ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                CountResends();
                ClientTransport? next = null;
                if (CanRecover(closeStatus))
                {
                    SetState(BrokerChatClientState.Recovering);
                    next = await RecoverAsync(stop).ConfigureAwait(false);
                }

                if (next is null)
                {
                    await RaiseDisconnectedAsync().ConfigureAwait(false);
                    if (!_options.AutoReconnect)
                    {
                        break;
                    }

                    SetState(BrokerChatClientState.Reconnecting);
                    next = await ReconnectAsync(stop).ConfigureAwait(false);
                }

                try
                {
                    await ActivateAsync(next, stop).ConfigureAwait(false);
                }
                catch
                {
                    next.Abort();
                    await next.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                transport = next;
                if (stop.IsCancellationRequested)
                {
                    // StopAsync ran while this socket was being opened and could not close it; end it now.
                    next.Abort();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // StopAsync while recovering or reconnecting.
        }
        finally
        {
            ClientTransport? current;
            lock (_gate)
            {
                current = _transport;
                _transport = null;
                _state = BrokerChatClientState.Stopped;
                _connectedSignal.TrySetResult(null);
            }

            if (current is not null && !ReferenceEquals(current, transport))
            {
                current.Abort();
                await current.DisposeAsync().ConfigureAwait(false);
            }

            FailAllPending("The client stopped before the ack arrived.");
            _invocations.FailAll("The client stopped before the invocation's response arrived.");
            await RaiseDisconnectedAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _runTask = null;
                _stopping = null;
            }

            stopping.Dispose();
            await RaiseAsync(Stopped, BrokerChatStoppedEventArgs.Instance).ConfigureAwait(false);
        }
    }

    private bool CanRecover(WebSocketCloseStatus? closeStatus)
    {
        if (!_reliable || closeStatus == PolicyViolation)
        {
            return false;
        }

        lock (_gate)
        {
            return _connectionId is not null && _reconnectionToken is not null && _connectionUri is not null;
        }
    }

    /// <summary>Raises <see cref="Disconnected"/> once per logical connection.</summary>
    private Task RaiseDisconnectedAsync()
    {
        string? connectionId, message;
        lock (_gate)
        {
            if (_connectionUri is null)
            {
                return Task.CompletedTask;
            }

            connectionId = _connectionId;
            message = _disconnectedMessage;
            _connectionUri = null;
            _connectionId = null;
            _reconnectionToken = null;
            _disconnectedMessage = null;
        }

        return RaiseAsync(Disconnected, new BrokerChatDisconnectedEventArgs(connectionId, message));
    }

    /// <summary>
    /// Resumes the lost connection: the URL it was opened with plus <c>awps_connection_id</c> and
    /// <c>awps_reconnection_token</c>, tried every <see cref="BrokerChatClientOptions.RecoveryRetryDelay"/> until
    /// <see cref="BrokerChatClientOptions.RecoveryTimeout"/>. Success means the socket opened. Null when it gave up.
    /// </summary>
    private async Task<ClientTransport?> RecoverAsync(CancellationToken stop)
    {
        var started = _clock.GetTimestamp();
        while (true)
        {
            Uri uri;
            lock (_gate)
            {
                if (_connectionUri is null || _connectionId is null || _reconnectionToken is null)
                {
                    return null;
                }

                uri = RecoveryUri(_connectionUri, _connectionId, _reconnectionToken);
            }

            try
            {
                return await ConnectAsync(uri, isRecovery: true, stop).ConfigureAwait(false);
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // Refused or unreachable: try again until the recovery window closes.
            }

            if (_clock.GetElapsedTime(started) + _options.RecoveryRetryDelay >= _options.RecoveryTimeout)
            {
                return null;
            }

            await Task.Delay(_options.RecoveryRetryDelay, _clock, stop).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a fresh connection, retrying with decorrelated-jitter backoff until it works or the client stops.</summary>
    private async Task<ClientTransport> ReconnectAsync(CancellationToken stop)
    {
        var delay = _options.ReconnectDelay;
        while (true)
        {
            try
            {
                return await OpenFreshAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // The URL provider or the handshake failed; wait and try again.
            }

            delay = NextReconnectDelay(delay);
            await Task.Delay(delay, _clock, stop).ConfigureAwait(false);
        }
    }

    /// <summary>Decorrelated jitter: a random pause between the minimum and three times the previous one, capped.</summary>
    internal TimeSpan NextReconnectDelay(TimeSpan previous)
    {
        var min = _options.ReconnectDelay.Ticks;
        var max = _options.MaxReconnectDelay.Ticks;
        var upper = Math.Min(max, Math.Max(min, previous.Ticks) * 3);
        return TimeSpan.FromTicks(Math.Min(max, min + (long)(Random.Shared.NextDouble() * (upper - min))));
    }

    /// <summary>A new connection from a new URL: the sequence counter and the connection's identity start over.</summary>
    private async Task<ClientTransport> OpenFreshAsync(CancellationToken cancellationToken)
    {
        var uri = await _urlProvider(cancellationToken).AsTask().WaitAsync(_options.ConnectTimeout, _clock, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The client access URL provider returned null.");
        var transport = await ConnectAsync(uri, isRecovery: false, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _connectionUri = uri;
            _connectionId = null;
            _userId = null;
            _reconnectionToken = null;
            _disconnectedMessage = null;
            _sequenceId = 0;
            _ackedSequenceId = 0;
            _sequenceAckDue = false;
        }

        return transport;
    }

    private async Task<ClientTransport> ConnectAsync(Uri uri, bool isRecovery, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.AddSubProtocol(_subprotocol);
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _clock);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await socket.ConnectAsync(uri, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The WebSocket handshake did not complete within {_options.ConnectTimeout}.");
            }

            if (!string.Equals(socket.SubProtocol, _subprotocol, StringComparison.OrdinalIgnoreCase))
            {
                throw new WebSocketException(WebSocketError.UnsupportedProtocol, $"The server did not accept the subprotocol {_subprotocol}.");
            }

            return new ClientTransport(socket, isRecovery, _clock);
        }
        catch
        {
            socket.Abort();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The recovery URL: the original one with the two <c>awps_</c> parameters appended.</summary>
    internal static Uri RecoveryUri(Uri uri, string connectionId, string reconnectionToken)
    {
        var builder = new UriBuilder(uri);
        var query = builder.Query.TrimStart('?');
        var recovery = WebPubSubQueryParameters.ConnectionId + "=" + Uri.EscapeDataString(connectionId)
            + "&" + WebPubSubQueryParameters.ReconnectionToken + "=" + Uri.EscapeDataString(reconnectionToken);
        builder.Query = query.Length == 0 ? recovery : query + "&" + recovery;
        return builder.Uri;
    }

    /// <summary>Sends the close frame (1000) on the current socket; its receive loop then sees the server's answer.</summary>
    private async Task CloseCurrentAsync(CancellationToken cancellationToken)
    {
        ClientTransport? transport;
        lock (_gate)
        {
            transport = _transport;
        }

        if (transport is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.CloseTimeout, _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _sendLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                if (transport.Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await transport.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", linked.Token).ConfigureAwait(false);
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

    private void AbortCurrent()
    {
        lock (_gate)
        {
            _transport?.Abort();
        }
    }

    private void SetState(BrokerChatClientState state)
    {
        lock (_gate)
        {
            if (_state is not BrokerChatClientState.Stopping)
            {
                _state = state;
            }
        }
    }
}
