using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using BrokerChat.Connector.Protocol;
using BrokerChat.Connector.WebSockets;

namespace BrokerChat.Connector.Connections;

/// <summary>
/// The state of one client socket: identity, group memberships, the bounded outbound queue drained by a single
/// send loop, pending acks, and how it is closing. Any thread may enqueue frames or ask it to close; only the
/// send loop writes to the socket. Queued messages are the encoded payloads shared by every recipient; the send loop
/// writes the few bytes of WebSocket header in front of each as it copies it to the transport.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    /// <summary>Close code for a client that could not keep up: "try again later", so it reconnects.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>Close code for a server that is going away for a restart: the client should reconnect elsewhere.</summary>
    public const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    private const int MaxPendingAcks = 1000;
    private const int MaxCloseReasonBytes = 123;

    /// <summary>Bytes written to the transport before the send loop flushes, even if more frames are queued.</summary>
    private const int FlushThreshold = 64 * 1024;

    private static readonly byte[] NoPayload = [];

    private readonly Channel<OutboundFrame> _queue;
    private readonly int _maxQueuedBytes;
    private readonly CancellationTokenSource _aborted = new();
    private readonly TaskCompletionSource _receiveEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<ulong, long> _pendingAcks = [];
    private readonly Lock _acksGate = new();
    private long _queuedBytes;
    private int _closing;
    private bool _discardQueued;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private byte[]? _disconnectedFrame;
    private long _lastReceived;
    private long _lastSent;
    private double _tokens = double.NaN;
    private double _overLimit;
    private long _lastRefill;
    private long _closingSince;
    private readonly TimeProvider _clock;

    public ClientConnection(string id, string hub, string? userId, string[] roles, int maxQueuedMessages, int maxQueuedBytes, TimeProvider? timeProvider = null)
    {
        _clock = timeProvider ?? TimeProvider.System;
        var now = _clock.GetTimestamp();
        _lastReceived = now;
        _lastSent = now;
        _lastRefill = now;
        Id = id;
        Hub = hub;
        UserId = userId;
        Roles = roles;
        _maxQueuedBytes = maxQueuedBytes;
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(maxQueuedMessages)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; nothing ever waits on it
        });
    }

    public string Id { get; }

    /// <summary>The hub, lower-cased.</summary>
    public string Hub { get; }

    public string? UserId { get; }

    public string[] Roles { get; }

    /// <summary>Groups joined; read and changed only under the hub index's lock.</summary>
    public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancelled when the connection must end at once.</summary>
    public CancellationToken Aborted => _aborted.Token;

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of when the close started (valid once <see cref="IsClosing"/>).</summary>
    public long ClosingSince => Volatile.Read(ref _closingSince);

    /// <summary>The metric tag of the server-side close (slow_client, timeout, …), or null.</summary>
    public string? CloseKind { get; private set; }

    /// <summary>Why the server closed the connection, or null if it did not.</summary>
    public string? CloseReason => IsClosing ? _closeReason : null;

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame received from the client.</summary>
    public long LastReceived => Volatile.Read(ref _lastReceived);

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last frame written (or keep-alive queued) to the client.</summary>
    public long LastSent => Volatile.Read(ref _lastSent);

    /// <summary>Reports what the loops wrote; set by the connection handler.</summary>
    public Action<int>? FrameSent { get; set; }

    public void MarkReceived(long now) => Volatile.Write(ref _lastReceived, now);

    public void MarkSent(long now) => Volatile.Write(ref _lastSent, now);

    /// <summary>
    /// Takes one token from the connection's bucket (<paramref name="ratePerSecond"/> sustained, <paramref name="burst"/>
    /// at most). Returns false when the request is over the limit; <paramref name="overLimit"/> is then the decaying
    /// count of such requests, for deciding when to disconnect. Called only from the receive loop.
    /// </summary>
    public bool TryTakeToken(long now, long timestampFrequency, double ratePerSecond, int burst, out double overLimit)
    {
        if (double.IsNaN(_tokens))
        {
            _tokens = burst;
        }

        var refill = (now - _lastRefill) / (double)timestampFrequency * ratePerSecond;
        _lastRefill = now;
        _tokens = Math.Min(burst, _tokens + refill);
        _overLimit = Math.Max(0, _overLimit - refill);
        if (_tokens >= 1)
        {
            _tokens -= 1;
            overLimit = _overLimit;
            return true;
        }

        _overLimit += 1;
        overLimit = _overLimit;
        return false;
    }

    public int PendingAckCount
    {
        get
        {
            lock (_acksGate)
            {
                return _pendingAcks.Count;
            }
        }
    }

    /// <summary>
    /// Queues a frame for the socket without ever waiting. A client whose queue is full is too slow: it is
    /// disconnected, so that it cannot hold memory or delay anyone else.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame)
    {
        if (IsClosing)
        {
            return false;
        }

        return TryEnqueue(new OutboundFrame(frame, WebSocketOpcode.Text));
    }

    /// <summary>Queues a keep-alive ping; the client's pong counts as a sign of life.</summary>
    public bool TrySendPing() => !IsClosing && TryEnqueue(new OutboundFrame(NoPayload, WebSocketOpcode.Ping));

    /// <summary>Queues the pong that answers a client's ping, echoing its payload.</summary>
    public bool TrySendPong(ReadOnlySpan<byte> pingPayload) =>
        !IsClosing && TryEnqueue(new OutboundFrame(pingPayload.IsEmpty ? NoPayload : pingPayload.ToArray(), WebSocketOpcode.Pong));

    private bool TryEnqueue(OutboundFrame frame)
    {
        var length = frame.Payload.Length;
        if (Interlocked.Add(ref _queuedBytes, length) > _maxQueuedBytes || !_queue.Writer.TryWrite(frame))
        {
            Interlocked.Add(ref _queuedBytes, -length);
            Close(TryAgainLater, "SlowClient: the client did not read its messages fast enough.", discardQueued: true, kind: "slow_client");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Starts a server-side close: a <c>disconnected</c> system message with <paramref name="reason"/>, then a close
    /// frame. With <paramref name="discardQueued"/> frames still queued are dropped rather than sent first.
    /// </summary>
    public void Close(WebSocketCloseStatus status, string reason, bool discardQueued = false, bool sendDisconnected = true, string? kind = null)
    {
        // The start time is recorded before the closing flag becomes visible: the heartbeat reads the flag, then the
        // time, and must never see a close without its start (it would abort the connection at once). A losing
        // concurrent closer leaves the first start time in place.
        Interlocked.CompareExchange(ref _closingSince, _clock.GetTimestamp(), 0);
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        CloseKind = kind;
        _closeStatus = status;
        _closeReason = Truncate(reason);
        _disconnectedFrame = sendDisconnected ? JsonFrameWriter.Disconnected(reason) : null;
        Volatile.Write(ref _discardQueued, discardQueued);
        _queue.Writer.TryComplete();
    }

    /// <summary>Ends the connection at once: no more frames, the socket is aborted.</summary>
    public void Abort()
    {
        Close(WebSocketCloseStatus.EndpointUnavailable, "Aborted.", discardQueued: true, sendDisconnected: false, kind: "abort");
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    /// <summary>Tells the send loop the client's side is done (its close frame arrived or the socket failed).</summary>
    public void ReceiveEnded() => _receiveEnded.TrySetResult();

    /// <summary>
    /// Writes queued frames to the transport until the connection closes, then the closing frames. Frames that are
    /// queued together go out in one flush. Ends when the close handshake finishes or fails, or when the heartbeat
    /// aborts a close that took too long (a client that does not read, or does not answer the close).
    /// </summary>
    public async Task RunSendLoopAsync(PipeWriter output)
    {
        var token = _aborted.Token;
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                var unflushed = 0;
                while (reader.TryRead(out var frame))
                {
                    Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
                    if (Volatile.Read(ref _discardQueued))
                    {
                        continue;
                    }

                    unflushed += Write(output, frame.Opcode, frame.Payload.Span);
                    if (frame.Opcode == WebSocketOpcode.Text)
                    {
                        FrameSent?.Invoke(frame.Payload.Length);
                    }

                    if (unflushed >= FlushThreshold)
                    {
                        await FlushAsync(output, token).ConfigureAwait(false);
                        unflushed = 0;
                    }
                }

                if (unflushed > 0)
                {
                    await FlushAsync(output, token).ConfigureAwait(false);
                    Volatile.Write(ref _lastSent, _clock.GetTimestamp());
                }
            }

            if (_disconnectedFrame is { } disconnected && !_receiveEnded.Task.IsCompleted)
            {
                Write(output, WebSocketOpcode.Text, disconnected);
            }

            WriteClose(output, (ushort)_closeStatus, _closeReason);
            await FlushAsync(output, token).ConfigureAwait(false);

            // Wait for the client's close frame; the heartbeat cuts off a client that never sends one.
            await _receiveEnded.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            Abort();
        }
        finally
        {
            // Frames left behind are dropped; keep the byte count honest.
            while (_queue.Reader.TryRead(out var frame))
            {
                Interlocked.Add(ref _queuedBytes, -frame.Payload.Length);
            }
        }
    }

    private static async ValueTask FlushAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        var result = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
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
        lock (_acksGate)
        {
            tooMany = _pendingAcks.Count >= MaxPendingAcks;
            return !tooMany && _pendingAcks.TryAdd(ackId, deadlineTimestamp);
        }
    }

    /// <summary>Removes a pending ack; true when it was pending (so its outcome should be sent now).</summary>
    public bool TryCompleteAck(ulong ackId)
    {
        lock (_acksGate)
        {
            return _pendingAcks.Remove(ackId);
        }
    }

    /// <summary>Removes and returns the acks whose deadline passed.</summary>
    public List<ulong>? ExpireAcks(long nowTimestamp)
    {
        List<ulong>? expired = null;
        lock (_acksGate)
        {
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
        lock (_acksGate)
        {
            _pendingAcks.Clear();
        }
    }

    /// <summary>A frame waiting in the outbound queue.</summary>
    private readonly record struct OutboundFrame(ReadOnlyMemory<byte> Payload, WebSocketOpcode Opcode);

    /// <summary>Releases the connection's resources once both loops ended.</summary>
    public void Dispose() => _aborted.Dispose();

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
