using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Transport;

namespace BrokerChat.Connector.Connections;

/// <summary>What a close does to a reliable session.</summary>
internal enum SessionOnClose
{
    /// <summary>The session ends with the connection.</summary>
    End,

    /// <summary>The transport was lost: the session keeps numbering and holding messages for its client to resume it.</summary>
    Keep,

    /// <summary>Unsent messages are written before the close frame; the client resumes elsewhere.</summary>
    Flush,
}

/// <summary>
/// The state of one client connection: identity, group memberships, the bounded outbound queue, pending acks, and
/// how it is closing. Any thread may queue frames or ask it to close. There is no send loop waiting while the
/// connection is idle: the thread that queues a frame into an empty queue starts a drain, which writes every queued
/// frame to the transport and ends when the queue is empty, so only one drain writes at a time and an idle
/// connection holds no task, buffer or timer. Queued messages are the encoded payloads shared by every recipient;
/// the drain writes the few bytes of WebSocket header in front of each as it copies it to the transport.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    /// <summary>Close code for a client that could not keep up: "try again later", so it reconnects.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>Close code for a server that is going away for a restart: the client should reconnect elsewhere.</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    private const int MaxPendingAcks = 1000;
    private const int MaxCloseReasonBytes = 123;
    private const int InitialQueueCapacity = 4;

    /// <summary>Bytes written to the transport before the drain flushes, even if more frames are queued.</summary>
    private const int FlushThreshold = 64 * 1024;

    private static readonly byte[] NoPayload = [];

    private readonly Lock _gate = new();
    private readonly int _maxQueuedMessages;
    private readonly int _maxQueuedBytes;
    private readonly TimeProvider _clock;
    private readonly WebSocketOpcode _frameOpcode;
    private readonly ReliableStream? _stream;

    // Outbound queue: a ring buffer guarded by _gate, grown on demand up to _maxQueuedMessages.
    private OutboundFrame[]? _ring;
    private int _head;
    private int _count;
    private long _queuedBytes;
    private bool _draining;
    private TaskCompletionSource? _drainEnded;

    private PipeWriter? _output;
    private object? _transport;
    private Action<object>? _abortTransport;
    private CancellationTokenSource? _aborted;
    private bool _isAborted;

    private Dictionary<ulong, long>? _pendingAcks;
    private AckIdWindow? _succeeded;
    private HashSet<string>? _groups;

    private int _closing;
    private bool _discardQueued;
    private bool _closeWritten;
    private bool _receiveEnded;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private byte[]? _disconnectedFrame;
    private long _lastReceived;
    private long _lastSent;
    private long _lastPing;
    private TokenBucket _rateLimit;
    private long _closingSince;
    private long _detachedSince;
    private SessionOnClose _sessionOnClose;
    private bool _sessionEnded;

    public ClientConnection(string id, string hub, string? userId, string[] roles, int maxQueuedMessages, int maxQueuedBytes, TimeProvider? timeProvider = null, IPAddress? address = null, ClientProtocol? protocol = null, ReliableStream? stream = null)
    {
        Protocol = protocol ?? ClientProtocol.Json;
        Subprotocol = Protocol.Name;
        _frameOpcode = Protocol.Encoding == ProtocolEncoding.MessagePack ? WebSocketOpcode.Binary : WebSocketOpcode.Text;
        _stream = Protocol.IsReliable ? stream ?? new ReliableStream(1000, 16 * 1024 * 1024) : null;
        _clock = timeProvider ?? TimeProvider.System;
        var now = _clock.GetTimestamp();
        _lastReceived = now;
        _lastSent = now;
        _lastPing = now;
        _rateLimit = new TokenBucket(now);
        Id = id;
        Hub = hub;
        UserId = userId;
        Roles = roles;
        Address = address;
        _maxQueuedMessages = maxQueuedMessages;
        _maxQueuedBytes = maxQueuedBytes;
    }

    public string Id { get; }

    /// <summary>The hub, lower-cased.</summary>
    public string Hub { get; }

    public string? UserId { get; }

    public string[] Roles { get; }

    /// <summary>The subprotocol spoken on this connection.</summary>
    public ClientProtocol Protocol { get; }

    /// <summary>The subprotocol agreed in the handshake (echoed to the client), or null when none was offered.</summary>
    public string? Subprotocol { get; init; }

    /// <summary>
    /// A simple WebSocket client (it chose no PubSub subprotocol): it gets messages as raw frames and no protocol
    /// frames at all, and its frames become <c>message</c> events.
    /// </summary>
    public bool IsSimple => Protocol.IsSimple;

    /// <summary>Whether messages carry sequence ids and the session survives a dropped transport.</summary>
    public bool IsReliable => _stream is not null;

    /// <summary>Writes this connection's protocol frames (not for simple clients).</summary>
    public FrameWriter Writer => Protocol.Writer ?? throw new InvalidOperationException("Simple WebSocket clients get no protocol frames.");

    /// <summary>
    /// Per outbound partition, the first offset this session may be sent (set when it was resumed on this connector
    /// from a reconnection token: everything before was delivered by the connector it came from); null otherwise.
    /// Read and written by the delivery dispatcher only.
    /// </summary>
    public long[]? DeliveryFloor { get; set; }

    /// <summary>
    /// Reconnection-token bookkeeping of the delivery dispatcher (which alone reads and writes it): the partition
    /// the messages after the client's latest token come from (-1: none yet), how many came, and when the token was made.
    /// </summary>
    public (int Partition, int Messages, long IssuedAt) TokenMark { get; set; } = (-1, 0, 0);

    /// <summary>Whether the session lost its transport and waits for the client to resume it.</summary>
    public bool IsDetached => Volatile.Read(ref _detachedSince) != 0;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of when the transport was lost (valid while <see cref="IsDetached"/>).</summary>
    public long DetachedSince => Volatile.Read(ref _detachedSince);

    /// <summary>Whether the session ended for good while detached (its replay buffer overflowed); it must be removed.</summary>
    public bool SessionEnded
    {
        get
        {
            lock (_gate)
            {
                return _sessionEnded;
            }
        }
    }

    /// <summary>The client's address, for the per-address limit.</summary>
    public IPAddress? Address { get; }

    /// <summary>Groups joined; read and changed only under the hub index's lock (created on first use).</summary>
    public HashSet<string> Groups => _groups ??= new(StringComparer.Ordinal);

    /// <summary>Whether the connection is in any group (without creating the set).</summary>
    public bool HasGroups => _groups is { Count: > 0 };

    /// <summary>Whether the connection is in <paramref name="group"/> (its groups change only under the outbound gate or through its own requests).</summary>
    public bool IsMember(string group) => _groups is { Count: > 0 } groups && groups.Contains(group);

    /// <summary>
    /// Groups whose joins and leaves this connection is told about (it joined them with <c>presence</c>); read and
    /// changed only under the outbound gate; null until the first.
    /// </summary>
    public HashSet<string>? PresenceGroups { get; set; }

    /// <summary>Cancelled when the connection must end at once (created on first use: an idle connection has none).</summary>
    public CancellationToken Aborted
    {
        get
        {
            lock (_gate)
            {
                return _isAborted ? new CancellationToken(canceled: true) : (_aborted ??= new CancellationTokenSource()).Token;
            }
        }
    }

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of when the close started (valid once <see cref="IsClosing"/>).</summary>
    public long ClosingSince => Volatile.Read(ref _closingSince);

    /// <summary>The metric tag of the server-side close (slow_client, timeout, …), or null.</summary>
    public string? CloseKind { get; private set; }

    /// <summary>Why the server closed the connection, or null if it did not.</summary>
    public string? CloseReason => IsClosing ? _closeReason : null;

    public long QueuedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame received from the client.</summary>
    public long LastReceived => Volatile.Read(ref _lastReceived);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame written (or keep-alive queued) to the client.</summary>
    public long LastSent => Volatile.Read(ref _lastSent);

    /// <summary>Reports what the loops wrote; set by the connection handler.</summary>
    public Action<int>? FrameSent { get; set; }

    public void MarkReceived(long now) => Volatile.Write(ref _lastReceived, now);

    public void MarkSent(long now) => Volatile.Write(ref _lastSent, now);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last keep-alive ping queued to the client.</summary>
    public long LastPing => Volatile.Read(ref _lastPing);

    /// <summary>Records that a keep-alive ping was queued.</summary>
    public void MarkPinged(long now) => Volatile.Write(ref _lastPing, now);

    /// <summary>The connection's rate limit (used only from its receive loop).</summary>
    public ref TokenBucket RateLimit => ref _rateLimit;

    public int PendingAckCount
    {
        get
        {
            lock (_gate)
            {
                return _pendingAcks?.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// Queues a text message without ever waiting. A client whose queue is full is too slow: it is disconnected, so
    /// that it cannot hold memory or delay anyone else.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => TryEnqueue(new OutboundFrame(frame, _frameOpcode));

    /// <summary>
    /// Queues a data message (a shared <see cref="FrameWriter.Message"/> frame). On a reliable connection it is given the
    /// next sequence id and kept until acknowledged, even while the session waits for its client to come back;
    /// <paramref name="tokenBefore"/>, when set, is a token refresh written just before it. When the unacknowledged
    /// messages would exceed their bound the session ends (close 1008): the client cannot be given a complete stream.
    /// </summary>
    public bool TryEnqueueMessage(ReadOnlyMemory<byte> frame, ReadOnlyMemory<byte> tokenBefore = default) =>
        _stream is null ? TryEnqueue(frame) : TryAppend(frame, tokenBefore, once: false);

    /// <summary>
    /// Queues a frame to be written once, in order with the data messages, without a sequence id (history on join,
    /// presence messages): on a reliable connection it goes into the stream, is dropped once written and counts
    /// towards the stream's bound until then; elsewhere it is queued like any frame.
    /// </summary>
    public bool TryEnqueueOnce(ReadOnlyMemory<byte> frame) =>
        _stream is null ? TryEnqueue(frame) : TryAppend(frame, default, once: true);

    private bool TryAppend(ReadOnlyMemory<byte> frame, ReadOnlyMemory<byte> tokenBefore, bool once)
    {
        var stream = _stream!;

        var start = false;
        var overflow = false;
        lock (_gate)
        {
            if (_sessionEnded || (_closing != 0 && _sessionOnClose != SessionOnClose.Keep))
            {
                return false;
            }

            if (!stream.Fits(frame.Length))
            {
                if (_detachedSince != 0)
                {
                    // Nobody to tell: the session just ends, and the client's recovery attempt will get 1008.
                    _sessionEnded = true;
                    stream.Clear();
                    return false;
                }

                overflow = true;
            }
            else
            {
                if (!tokenBefore.IsEmpty)
                {
                    stream.AppendFrame(tokenBefore);
                }

                if (once)
                {
                    stream.AppendOnce(frame);
                }
                else
                {
                    stream.AppendMessage(frame);
                }

                start = StartDrainIfNeeded();
            }
        }

        if (overflow)
        {
            Close(WebSocketCloseStatus.PolicyViolation, $"The client did not acknowledge its messages: more than {stream.MaxMessages} messages or {stream.MaxBytes} bytes are waiting.", discardQueued: true, kind: "reliable_overflow");
            return false;
        }

        if (start)
        {
            _ = DrainAsync();
        }

        return true;
    }

    /// <summary>Queues a frame that must reach the client in order with the data messages (a reconnection-token refresh).</summary>
    public void EnqueueInOrder(ReadOnlyMemory<byte> frame)
    {
        if (_stream is null)
        {
            TryEnqueue(frame);
            return;
        }

        bool start;
        lock (_gate)
        {
            if (_sessionEnded)
            {
                return;
            }

            _stream.AppendFrame(frame);
            start = StartDrainIfNeeded();
        }

        if (start)
        {
            _ = DrainAsync();
        }
    }

    /// <summary>The client's <c>sequenceAck</c>: it has every message up to <paramref name="sequenceId"/>.</summary>
    public void Acknowledge(ulong sequenceId)
    {
        lock (_gate)
        {
            _stream?.Acknowledge(sequenceId);
        }
    }

    /// <summary>The last sequence id given out, and the unacknowledged messages held (0s on unreliable connections).</summary>
    public (ulong LastSequenceId, int Unacknowledged) SequenceState
    {
        get
        {
            lock (_gate)
            {
                return _stream is null ? (0, 0) : (_stream.LastSequenceId, _stream.Messages);
            }
        }
    }

    /// <summary>Numbers this session's messages on from <paramref name="lastSequenceId"/> (a session resumed from a token).</summary>
    public void ResumeSequence(ulong lastSequenceId)
    {
        lock (_gate)
        {
            _stream?.Resume(lastSequenceId);
        }
    }

    /// <summary>Queues a message for a simple client: the payload as it is, in a binary or a text frame.</summary>
    public bool TryEnqueueRaw(ReadOnlyMemory<byte> payload, bool binary) =>
        TryEnqueue(new OutboundFrame(payload, binary ? WebSocketOpcode.Binary : WebSocketOpcode.Text));

    /// <summary>Queues a keep-alive ping; the client's pong counts as a sign of life.</summary>
    public bool TrySendPing() => TryEnqueue(new OutboundFrame(NoPayload, WebSocketOpcode.Ping));

    /// <summary>Queues the pong that answers a client's ping, echoing its payload.</summary>
    public bool TrySendPong(ReadOnlySpan<byte> pingPayload) =>
        TryEnqueue(new OutboundFrame(pingPayload.IsEmpty ? NoPayload : pingPayload.ToArray(), WebSocketOpcode.Pong));

    /// <summary>
    /// Connects the connection to its transport: from now on queued frames are written to <paramref name="output"/>,
    /// and <paramref name="abortTransport"/> (called with <paramref name="transport"/>) ends the connection at once.
    /// </summary>
    public void Attach(PipeWriter output, object transport, Action<object> abortTransport)
    {
        bool start;
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            _lastReceived = now;
            _lastSent = now;
            _output = output;
            _transport = transport;
            _abortTransport = abortTransport;
            start = StartDrainIfNeeded();
        }

        if (start)
        {
            _ = DrainAsync();
        }
    }

    private bool TryEnqueue(OutboundFrame frame)
    {
        bool full;
        var start = false;
        lock (_gate)
        {
            if (_closing != 0)
            {
                return false;
            }

            var length = frame.Payload.Length;
            full = _count >= _maxQueuedMessages || _queuedBytes + length > _maxQueuedBytes;
            if (!full)
            {
                if (_ring is null || _count == _ring.Length)
                {
                    Grow();
                }

                _ring![(_head + _count) % _ring.Length] = frame;
                _count++;
                _queuedBytes += length;
                start = StartDrainIfNeeded();
            }
        }

        if (full)
        {
            Close(TryAgainLater, "SlowClient: the client did not read its messages fast enough.", discardQueued: true, kind: "slow_client");
            return false;
        }

        if (start)
        {
            _ = DrainAsync();
        }

        return true;
    }

    /// <summary>
    /// Starts a server-side close: a <c>disconnected</c> system message with <paramref name="reason"/>, then a close
    /// frame. With <paramref name="discardQueued"/> frames still queued are dropped rather than sent first.
    /// </summary>
    /// <remarks>
    /// <paramref name="session"/> says what becomes of a reliable session: it ends (the default, for closes the client
    /// must not recover from), it is kept for the client to resume (the transport was lost), or its unsent messages
    /// are written before the close (a shutdown, after which the client resumes elsewhere).
    /// </remarks>
    public void Close(WebSocketCloseStatus status, string reason, bool discardQueued = false, bool sendDisconnected = true, string? kind = null, SessionOnClose session = SessionOnClose.End)
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

    /// <summary>Claims the writer for a new drain when there is something to write and no drain running. Under <see cref="_gate"/>.</summary>
    private bool StartDrainIfNeeded()
    {
        if (_draining || _output is null || _isAborted || (_count == 0 && !StreamPending && (_closing == 0 || _closeWritten)))
        {
            return false;
        }

        _draining = true;
        return true;
    }

    /// <summary>
    /// Writes queued frames until the queue is empty, flushing every <see cref="FlushThreshold"/> bytes and at the
    /// end; once the connection is closing and the queue is empty, writes the closing frames. Runs on the thread that
    /// queued the first frame until the transport pushes back; it never blocks that thread.
    /// </summary>
    private async Task DrainAsync()
    {
        var output = _output!;
        try
        {
            while (true)
            {
                var unflushed = 0;
                var sent = 0;
                while (TryDequeue(out var frame, out var sequenceId))
                {
                    unflushed += sequenceId == 0 ? Write(output, frame.Opcode, frame.Payload.Span) : WriteSequenced(output, Writer, sequenceId, frame.Payload.Span);
                    if (frame.Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary)
                    {
                        FrameSent?.Invoke(frame.Payload.Length);
                    }

                    sent++;
                    if (unflushed >= FlushThreshold)
                    {
                        await FlushAsync(output).ConfigureAwait(false);
                        unflushed = 0;
                    }
                }

                if (sent > 0)
                {
                    await FlushAsync(output).ConfigureAwait(false);
                    Volatile.Write(ref _lastSent, _clock.GetTimestamp());
                }

                byte[]? disconnected;
                ushort status;
                string reason;
                lock (_gate)
                {
                    if (_count > 0 || StreamPending)
                    {
                        continue; // queued while the flush ran
                    }

                    if (_closing == 0 || _closeWritten)
                    {
                        EndDrain();
                        return;
                    }

                    _closeWritten = true;
                    disconnected = _receiveEnded ? null : _disconnectedFrame;
                    status = (ushort)_closeStatus;
                    reason = _closeReason;
                }

                if (disconnected is not null)
                {
                    Write(output, _frameOpcode, disconnected);
                }

                WriteClose(output, status, reason);
                await FlushAsync(output).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            lock (_gate)
            {
                _closeWritten = true;
                EndDrain();
            }

            Abort();
        }
    }

    /// <summary>Marks the drain as ended and releases whoever waits for it. Under <see cref="_gate"/>.</summary>
    private void EndDrain()
    {
        _draining = false;
        var ended = _drainEnded;
        _drainEnded = null;
        ended?.TrySetResult(); // continuations run asynchronously: not under the lock
    }

    /// <summary>Reliable messages are waiting to be written, and may be. Under <see cref="_gate"/>.</summary>
    private bool StreamPending => _stream is { HasUnsent: true } && !_discardQueued && !_closeWritten
        && (_closing == 0 || _sessionOnClose == SessionOnClose.Flush);

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

    /// <summary>The next frame to write: queued control frames first, then the reliable stream in order.</summary>
    private bool TryDequeue(out OutboundFrame frame, out ulong sequenceId)
    {
        lock (_gate)
        {
            sequenceId = 0;
            if (_count == 0 || _discardQueued)
            {
                if (StreamPending && _stream!.TryTakeUnsent(out sequenceId, out var payload))
                {
                    frame = new OutboundFrame(payload, _frameOpcode);
                    return true;
                }

                frame = default;
                return false;
            }

            frame = _ring![_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            _queuedBytes -= frame.Payload.Length;
            return true;
        }
    }

    /// <summary>Doubles the ring (up to the message limit), keeping the order. Under <see cref="_gate"/>.</summary>
    private void Grow()
    {
        var larger = new OutboundFrame[Math.Min(Math.Max(InitialQueueCapacity, (_ring?.Length ?? 0) * 2), _maxQueuedMessages)];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = _ring![(_head + i) % _ring.Length];
        }

        _ring = larger;
        _head = 0;
    }

    /// <summary>Drops every queued frame. Under <see cref="_gate"/>.</summary>
    private void DropQueued()
    {
        if (_ring is not null)
        {
            Array.Clear(_ring);
        }

        _head = 0;
        _count = 0;
        _queuedBytes = 0;
    }

    private static async ValueTask FlushAsync(PipeWriter output)
    {
        var result = await output.FlushAsync().ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("The connection's transport is closed.");
        }
    }

    /// <summary>Writes one final, unmasked frame; returns the bytes written.</summary>
    private static int Write(PipeWriter output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var header = output.GetSpan(WebSocketFrameHeader.MaxLength);
        var headerLength = WebSocketFrameHeader.WriteServerHeader(header, opcode, payload.Length);
        output.Advance(headerLength);
        output.Write(payload);
        return headerLength + payload.Length;
    }

    /// <summary>Writes a shared message frame with this recipient's sequence id put in front; returns the bytes written.</summary>
    private static int WriteSequenced(PipeWriter output, FrameWriter writer, ulong sequenceId, ReadOnlySpan<byte> frame)
    {
        Span<byte> prefix = stackalloc byte[FrameWriter.MaxSequencePrefixLength];
        var prefixLength = writer.WriteSequencePrefix(prefix, sequenceId, frame[0]);
        var length = prefixLength + frame.Length - 1;
        var header = output.GetSpan(WebSocketFrameHeader.MaxLength);
        var headerLength = WebSocketFrameHeader.WriteServerHeader(header, writer is MessagePackFrameWriter ? WebSocketOpcode.Binary : WebSocketOpcode.Text, length);
        output.Advance(headerLength);
        output.Write(prefix[..prefixLength]);
        output.Write(frame[1..]);
        return headerLength + length;
    }

    private static void WriteClose(PipeWriter output, ushort status, string reason)
    {
        Span<byte> payload = stackalloc byte[2 + MaxCloseReasonBytes];
        BinaryPrimitives.WriteUInt16BigEndian(payload, status);
        var length = 2 + Encoding.UTF8.GetBytes(reason, payload[2..]);
        Write(output, WebSocketOpcode.Close, payload[..length]);
    }

    /// <summary>Registers a request awaiting its outcome; false when the ackId is already pending or too many are.</summary>
    public bool TryAddPendingAck(ulong ackId, long deadlineTimestamp, out bool tooMany)
    {
        lock (_gate)
        {
            _pendingAcks ??= [];
            tooMany = _pendingAcks.Count >= MaxPendingAcks;
            return !tooMany && _pendingAcks.TryAdd(ackId, deadlineTimestamp);
        }
    }

    /// <summary>Records that the request with <paramref name="ackId"/> was carried out, so that a repeat is answered <c>Duplicate</c>.</summary>
    public void RecordSucceeded(ulong ackId)
    {
        lock (_gate)
        {
            (_succeeded ??= new AckIdWindow()).Add(ackId);
        }
    }

    /// <summary>Whether a request with <paramref name="ackId"/> was already carried out on this connection.</summary>
    public bool HasSucceeded(ulong ackId)
    {
        lock (_gate)
        {
            return _succeeded?.Contains(ackId) == true;
        }
    }

    /// <summary>Removes a pending ack; true when it was pending (so its outcome should be sent now).</summary>
    public bool TryCompleteAck(ulong ackId)
    {
        lock (_gate)
        {
            return _pendingAcks?.Remove(ackId) == true;
        }
    }

    /// <summary>Removes and returns the acks whose deadline passed.</summary>
    public List<ulong>? ExpireAcks(long nowTimestamp)
    {
        List<ulong>? expired = null;
        lock (_gate)
        {
            if (_pendingAcks is not { Count: > 0 })
            {
                return null;
            }

            foreach (var (ackId, deadline) in _pendingAcks)
            {
                if (deadline <= nowTimestamp)
                {
                    (expired ??= []).Add(ackId);
                }
            }

            if (expired is not null)
            {
                foreach (var ackId in expired)
                {
                    _pendingAcks.Remove(ackId);
                }
            }
        }

        return expired;
    }

    /// <summary>Drops every pending ack (the connection ended).</summary>
    public void ClearPendingAcks()
    {
        lock (_gate)
        {
            _pendingAcks = null;
        }
    }

    /// <summary>A frame waiting in the outbound queue.</summary>
    private readonly record struct OutboundFrame(ReadOnlyMemory<byte> Payload, WebSocketOpcode Opcode);

    /// <summary>Releases the connection's resources once it ended.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _transport = null;
            _output = null;
        }

        _aborted?.Dispose();
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
