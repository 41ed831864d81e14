using System.Net.WebSockets;
using System.Text;

namespace BrokerChat.Connector.Connections;

/// <summary>How a connection ends: the close handshake, aborting the transport, and detaching, resuming and expiring a reliable session.</summary>
internal sealed partial class ClientConnection
{
    /// <summary>
    /// Starts a server-side close: a <c>disconnected</c> system message with <paramref name="reason"/>, then a close
    /// frame. With <paramref name="discardQueued"/> frames still queued are dropped rather than sent first.
    /// </summary>
    /// <remarks>
    /// <paramref name="session"/> says what becomes of a reliable session: it ends (the default, for closes the client
    /// must not recover from), it is kept for the client to resume (the transport was lost), or its unsent messages
    /// are written before the close (a shutdown, after which the client resumes elsewhere). With
    /// <paramref name="abortAfterClose"/> the transport is aborted as soon as the close frame is written, without
    /// waiting for the client's close: for a client that has been silent for the whole client timeout, whose
    /// network is most likely gone, so that its slot, groups and pending requests are freed at once.
    /// </remarks>
    public void Close(WebSocketCloseStatus status, string reason, bool discardQueued = false, bool sendDisconnected = true, string? kind = null, SessionOnClose session = SessionOnClose.End, bool abortAfterClose = false)
    {
        bool start;
        lock (_gate)
        {
            if (_closing != 0)
            {
                return;
            }

            // The start time is recorded before the closing flag becomes visible: the heartbeat reads the flag, then
            // the time, and must never see a close without its start (it would abort the connection at once).
            Volatile.Write(ref _closingSince, _clock.GetTimestamp());
            Volatile.Write(ref _closing, 1);
            CloseKind = kind;
            _abortAfterClose = abortAfterClose;
            _sessionOnClose = session;
            _closeStatus = status;
            _closeReason = Truncate(reason);
            _disconnectedFrame = sendDisconnected && !IsSimple ? Writer.Disconnected(reason) : null;
            if (discardQueued)
            {
                _discardQueued = true;
                DropQueued();
            }

            start = StartDrainIfNeeded();
        }

        if (start)
        {
            _ = DrainAsync();
        }
    }

    /// <summary>Ends the connection at once: no more frames, and the transport is aborted.</summary>
    public void Abort()
    {
        object? transport;
        Action<object>? abortTransport;
        CancellationTokenSource? aborted;
        lock (_gate)
        {
            if (_isAborted)
            {
                return;
            }

            _isAborted = true; // no drain starts from now on
            transport = _transport;
            abortTransport = _abortTransport;
            aborted = _aborted;
        }

        Close(WebSocketCloseStatus.EndpointUnavailable, "Aborted.", discardQueued: true, sendDisconnected: false, kind: "abort", session: SessionOnClose.Keep);
        lock (_gate)
        {
            _discardQueued = true;
            DropQueued();
        }

        if (transport is not null)
        {
            abortTransport!(transport);
        }

        try
        {
            aborted?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    /// <summary>Tells the connection its client side is done (its close frame arrived, or the transport failed).</summary>
    public void ReceiveEnded()
    {
        lock (_gate)
        {
            _receiveEnded = true;
        }
    }

    /// <summary>
    /// Keeps the session after its transport ended in a way the client may recover from (the socket dropped, or the
    /// client closed with a code other than 1000): the connection stays in its groups and keeps numbering and
    /// holding messages, with no transport, until <see cref="TryResume"/> or the session expires. Called by the
    /// connection's life method once the drain ended; false when the session cannot be kept.
    /// </summary>
    public bool TryDetach()
    {
        CancellationTokenSource? aborted;
        lock (_gate)
        {
            if (_stream is null || _sessionEnded || _draining)
            {
                return false;
            }

            _output = null;
            _transport = null;
            _abortTransport = null;
            _endReceive = null;
            aborted = _aborted;
            _aborted = null;
            _isAborted = false;
            Volatile.Write(ref _closing, 0);
            _closeWritten = false;
            _receiveEnded = false;
            _discardQueued = false;
            _disconnectedFrame = null;
            _closeStatus = WebSocketCloseStatus.NormalClosure;
            _closeReason = "";
            CloseKind = null;
            _abortAfterClose = false;
            _sessionOnClose = SessionOnClose.End;
            DropQueued();
            _pendingAcks = null;
            _stream.Rewind();
            Volatile.Write(ref _detachedSince, Math.Max(1, _clock.GetTimestamp()));
        }

        aborted?.Dispose();
        return true;
    }

    /// <summary>
    /// Claims a detached session for a client that came back; false when it is not detached (still attached, already
    /// claimed) or has ended. The caller then attaches the new transport, and everything unacknowledged is replayed.
    /// </summary>
    public bool TryResume()
    {
        lock (_gate)
        {
            if (_sessionEnded || _detachedSince == 0)
            {
                return false;
            }

            Volatile.Write(ref _detachedSince, 0);
            return true;
        }
    }

    /// <summary>
    /// Ends a detached session for good (the server closed it while its client was away): it can no longer be resumed,
    /// and the next heartbeat removes it.
    /// </summary>
    public void EndSession()
    {
        lock (_gate)
        {
            if (_detachedSince != 0)
            {
                _sessionEnded = true;
                _stream?.Clear();
            }
        }
    }

    /// <summary>Ends a detached session whose client did not come back within <paramref name="retention"/> ticks; true when it ended.</summary>
    public bool TryExpire(long now, long retention)
    {
        lock (_gate)
        {
            if (_detachedSince == 0 || (!_sessionEnded && now - _detachedSince < retention))
            {
                return false;
            }

            _sessionEnded = true;
            Volatile.Write(ref _detachedSince, 0);
            _stream?.Clear();
            return true;
        }
    }

    /// <summary>Completes once no drain is writing: after a close, the close frame has been written (or writing failed).</summary>
    public Task WhenDrainedAsync()
    {
        lock (_gate)
        {
            return _draining ? (_drainEnded ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task : Task.CompletedTask;
        }
    }

    /// <summary>The close under way does not wait for the client's close frame (see <see cref="Close"/>).</summary>
    public bool AbortsAfterClose => Volatile.Read(ref _closing) != 0 && _abortAfterClose;

    /// <summary>Whether the session may be kept for its client to resume once the transport is gone.</summary>
    public bool IsRecoverable
    {
        get
        {
            lock (_gate)
            {
                return _stream is not null && !_sessionEnded && (_closing == 0 || _sessionOnClose == SessionOnClose.Keep);
            }
        }
    }

    private static string Truncate(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= MaxCloseReasonBytes)
        {
            return reason;
        }

        var length = Math.Min(reason.Length, MaxCloseReasonBytes);
        while (Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > MaxCloseReasonBytes - 3)
        {
            length--;
        }

        return string.Concat(reason.AsSpan(0, length), "...");
    }
}
