using System.IO.Pipelines;
using System.Net.WebSockets;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Transport;

namespace BrokerChat.Connector.Connections;

/// <summary>The outbound queue of a connection: a bounded ring buffer (and the reliable stream of a reliable session) that frames are queued into without ever waiting.</summary>
internal sealed partial class ClientConnection
{
    /// <summary>
    /// Queues a text message without ever waiting. A client whose queue is full is too slow: it is disconnected, so
    /// that it cannot hold memory or delay anyone else.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame) => TryEnqueue(new OutboundFrame(frame, _frameOpcode));

    /// <summary>
    /// Queues a text message that is dropped unwritten (and counted by <see cref="MessageExpired"/>) if it is still
    /// waiting at <paramref name="expiresAt"/> (Unix ms of the connection's clock; 0 = never).
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> frame, long expiresAt) => TryEnqueue(new OutboundFrame(frame, _frameOpcode, expiresAt));

    /// <summary>
    /// Queues a data message (a shared <see cref="FrameWriter.Message"/> frame). On a reliable connection it is given the
    /// next sequence id and kept until acknowledged, even while the session waits for its client to come back;
    /// <paramref name="tokenBefore"/>, when set, is a token refresh written just before it. When the unacknowledged
    /// messages would exceed their bound the session ends (close 1008): the client cannot be given a complete stream.
    /// A message not written by <paramref name="expiresAt"/> (Unix ms; 0 = never) is not written at all, nor replayed;
    /// on a reliable connection it keeps its sequence id, which the client then never sees.
    /// </summary>
    public bool TryEnqueueMessage(ReadOnlyMemory<byte> frame, ReadOnlyMemory<byte> tokenBefore = default, long expiresAt = 0) =>
        _stream is null ? TryEnqueue(new OutboundFrame(frame, _frameOpcode, expiresAt)) : TryAppend(frame, tokenBefore, once: false, expiresAt);

    /// <summary>
    /// Queues a frame to be written once, in order with the data messages, without a sequence id (history on join,
    /// presence messages): on a reliable connection it goes into the stream, is dropped once written and counts
    /// towards the stream's bound until then; elsewhere it is queued like any frame.
    /// </summary>
    public bool TryEnqueueOnce(ReadOnlyMemory<byte> frame) =>
        _stream is null ? TryEnqueue(frame) : TryAppend(frame, default, once: true, expiresAt: 0);

    private bool TryAppend(ReadOnlyMemory<byte> frame, ReadOnlyMemory<byte> tokenBefore, bool once, long expiresAt)
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
                    stream.AppendMessage(frame, expiresAt);
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

    /// <summary>Queues a message for a simple client: the payload as it is, in a binary or a text frame (dropped unwritten at <paramref name="expiresAt"/>, if not 0).</summary>
    public bool TryEnqueueRaw(ReadOnlyMemory<byte> payload, bool binary, long expiresAt = 0) =>
        TryEnqueue(new OutboundFrame(payload, binary ? WebSocketOpcode.Binary : WebSocketOpcode.Text, expiresAt));

    /// <summary>Queues a keep-alive ping; the client's pong counts as a sign of life.</summary>
    public bool TrySendPing() => TryEnqueue(new OutboundFrame(NoPayload, WebSocketOpcode.Ping));

    /// <summary>Queues the pong that answers a client's ping, echoing its payload.</summary>
    public bool TrySendPong(ReadOnlySpan<byte> pingPayload) =>
        TryEnqueue(new OutboundFrame(pingPayload.IsEmpty ? NoPayload : pingPayload.ToArray(), WebSocketOpcode.Pong));

    /// <summary>
    /// Connects the connection to its transport: from now on queued frames are written to <paramref name="output"/>,
    /// and <paramref name="abortTransport"/> (called with <paramref name="transport"/>) ends the connection at once;
    /// <paramref name="endReceive"/>, when given, ends the connection's read without dropping what the transport still
    /// has to send.
    /// </summary>
    public void Attach(PipeWriter output, object transport, Action<object> abortTransport, Action? endReceive = null)
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
            _endReceive = endReceive;
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

    /// <summary>A frame waiting in the outbound queue, and when it expires unwritten (Unix ms; 0 = never).</summary>
    private readonly record struct OutboundFrame(ReadOnlyMemory<byte> Payload, WebSocketOpcode Opcode, long ExpiresAt = 0);
}
