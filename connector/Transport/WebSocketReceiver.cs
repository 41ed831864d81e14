using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace BrokerChat.Connector.Transport;

/// <summary>What <see cref="WebSocketReceiver.TryReceive"/> found.</summary>
internal enum WebSocketReceiveKind
{
    /// <summary>A whole text message, valid UTF-8.</summary>
    Text,

    /// <summary>A whole binary message.</summary>
    Binary,

    /// <summary>A ping; its payload must be echoed in a pong.</summary>
    Ping,

    /// <summary>A pong (an answer to a keep-alive ping, or unsolicited).</summary>
    Pong,

    /// <summary>The client's close frame.</summary>
    Close,

    /// <summary>The client broke the protocol; close with <see cref="WebSocketMessage.CloseCode"/> and the reason.</summary>
    Failed,

    /// <summary>The connection ended without a close frame.</summary>
    EndOfStream,
}

/// <summary>
/// One result of <see cref="WebSocketReceiver.TryReceive"/>. For text, binary and ping the payload is in
/// <see cref="Buffer"/>, rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.
/// </summary>
internal readonly record struct WebSocketMessage(WebSocketReceiveKind Kind, byte[]? Buffer = null, int Length = 0, ushort CloseCode = 0, string? Reason = null)
{
    public ReadOnlySpan<byte> Payload => Buffer is null ? default : Buffer.AsSpan(0, Length);

    public void Return()
    {
        if (Buffer is { Length: > 0 })
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}

/// <summary>
/// Parses client frames (RFC 6455) from what a connection's input pipe holds, and hands back whole messages and
/// control frames. It holds no buffer between messages: an idle connection costs only this object, and the
/// transport below waits for data with zero-byte reads. A message is assembled in a pooled buffer that grows as its bytes arrive (never
/// by the length a frame merely declares) up to <c>maxMessageBytes</c>; payload is consumed from the pipe as it
/// arrives, so a large message never stalls the transport's own buffer.
/// </summary>
internal sealed class WebSocketReceiver(int maxMessageBytes) : IDisposable
{
    private const int InitialMessageBuffer = 1024;

    private bool _inFrame;
    private WebSocketOpcode _frameOpcode;
    private bool _frameFin;
    private long _frameRemaining;
    private long _maskOffset;
    private uint _maskKey;

    private WebSocketOpcode _messageOpcode = WebSocketOpcode.Continuation; // Continuation: no message under way
    private byte[]? _message;
    private int _messageLength;

    private byte[]? _control;
    private int _controlLength;

    /// <summary>Returns a partly assembled message's buffers to the pool.</summary>
    public void Dispose()
    {
        ReturnMessage();
        if (_control is not null)
        {
            ArrayPool<byte>.Shared.Return(_control);
            _control = null;
        }
    }

    /// <summary>
    /// Consumes frames from <paramref name="buffer"/> (sliced past what was consumed) until a result is ready (true)
    /// or more bytes are needed (false: everything given was consumed or is an incomplete header).
    /// </summary>
    public bool TryReceive(ref ReadOnlySequence<byte> buffer, out WebSocketMessage message)
    {
        while (true)
        {
            if (!_inFrame)
            {
                if (!WebSocketFrameHeader.TryRead(buffer, out var header))
                {
                    message = default;
                    return false;
                }

                if (Validate(header) is { } failure)
                {
                    message = failure;
                    return true;
                }

                buffer = buffer.Slice(header.HeaderLength);
                Begin(header);
            }

            var take = (int)Math.Min(_frameRemaining, buffer.Length);
            if (take > 0)
            {
                Span<byte> destination;
                if (IsControl(_frameOpcode))
                {
                    destination = _control.AsSpan(_controlLength, take);
                    _controlLength += take;
                }
                else
                {
                    EnsureMessageCapacity(_messageLength + take);
                    destination = _message.AsSpan(_messageLength, take);
                    _messageLength += take;
                }

                WebSocketFrameHeader.Unmask(buffer.Slice(0, take), destination, _maskKey, _maskOffset);
                _maskOffset += take;
                _frameRemaining -= take;
                buffer = buffer.Slice(take);
            }

            if (_frameRemaining > 0)
            {
                message = default;
                return false;
            }

            _inFrame = false;
            if (IsControl(_frameOpcode))
            {
                message = CompleteControl();
                return true;
            }

            if (_frameFin)
            {
                message = CompleteMessage();
                return true;
            }
        }
    }

    private WebSocketMessage? Validate(in WebSocketFrameHeader header)
    {
        if (header.Reserved != 0)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "Reserved bits are set, but no extension was negotiated.");
        }

        if (!header.Masked)
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "Frames from a client must be masked.");
        }

        switch (header.Opcode)
        {
            case WebSocketOpcode.Text or WebSocketOpcode.Binary when _messageOpcode != WebSocketOpcode.Continuation:
                return Fail(WebSocketCloseCodes.ProtocolError, "A new message started before the previous one was finished.");
            case WebSocketOpcode.Continuation when _messageOpcode == WebSocketOpcode.Continuation:
                return Fail(WebSocketCloseCodes.ProtocolError, "A continuation frame arrived with no message to continue.");
            case WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong when !header.Fin || header.PayloadLength > WebSocketFrameHeader.MaxControlPayload:
                return Fail(WebSocketCloseCodes.ProtocolError, "Control frames must be final and carry at most 125 bytes.");
            case WebSocketOpcode.Text or WebSocketOpcode.Binary or WebSocketOpcode.Continuation:
                if (header.PayloadLength > maxMessageBytes - _messageLength)
                {
                    return Fail(WebSocketCloseCodes.MessageTooBig, $"The message exceeds the limit of {maxMessageBytes} bytes.");
                }

                return null;
            case WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong:
                return null;
            default:
                return Fail(WebSocketCloseCodes.ProtocolError, $"Unknown opcode 0x{(byte)header.Opcode:X}.");
        }
    }

    private void Begin(in WebSocketFrameHeader header)
    {
        _inFrame = true;
        _frameOpcode = header.Opcode;
        _frameFin = header.Fin;
        _frameRemaining = header.PayloadLength;
        _maskKey = header.MaskKey;
        _maskOffset = 0;
        if (IsControl(header.Opcode))
        {
            _control = ArrayPool<byte>.Shared.Rent(WebSocketFrameHeader.MaxControlPayload);
            _controlLength = 0;
        }
        else if (header.Opcode != WebSocketOpcode.Continuation)
        {
            _messageOpcode = header.Opcode;
            _messageLength = 0;
        }
    }

    private WebSocketMessage CompleteControl()
    {
        var control = _control!;
        var length = _controlLength;

        // The buffer goes back to the pool (or, for a ping, to the caller) at once: an idle connection keeps none.
        _control = null;
        if (_frameOpcode == WebSocketOpcode.Ping)
        {
            return new WebSocketMessage(WebSocketReceiveKind.Ping, control, length);
        }

        try
        {
            return _frameOpcode == WebSocketOpcode.Pong ? new WebSocketMessage(WebSocketReceiveKind.Pong) : ReadClose(control.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(control);
        }
    }

    private WebSocketMessage ReadClose(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return new WebSocketMessage(WebSocketReceiveKind.Close, CloseCode: WebSocketCloseCodes.NoStatusReceived, Reason: "");
        }

        var code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : (ushort)0;
        if (payload.Length == 1 || !WebSocketCloseCodes.IsValidFromPeer(code))
        {
            return Fail(WebSocketCloseCodes.ProtocolError, "The close frame carries an invalid status code.");
        }

        var reason = payload[2..];
        return Utf8.IsValid(reason)
            ? new WebSocketMessage(WebSocketReceiveKind.Close, CloseCode: code, Reason: Encoding.UTF8.GetString(reason))
            : Fail(WebSocketCloseCodes.InvalidPayloadData, "The close reason is not valid UTF-8.");
    }

    private WebSocketMessage CompleteMessage()
    {
        var kind = _messageOpcode == WebSocketOpcode.Text ? WebSocketReceiveKind.Text : WebSocketReceiveKind.Binary;
        var buffer = _message ?? [];
        var length = _messageLength;
        _message = null;
        _messageLength = 0;
        _messageOpcode = WebSocketOpcode.Continuation;
        var message = new WebSocketMessage(kind, buffer, length);
        if (kind == WebSocketReceiveKind.Text && !Utf8.IsValid(buffer.AsSpan(0, length)))
        {
            message.Return();
            return Fail(WebSocketCloseCodes.InvalidPayloadData, "Text messages must be valid UTF-8.");
        }

        return message;
    }

    private void EnsureMessageCapacity(int needed)
    {
        if (_message is not null && _message.Length >= needed)
        {
            return;
        }

        var size = Math.Min(Math.Max(needed, Math.Max(InitialMessageBuffer, (_message?.Length ?? 0) * 2)), maxMessageBytes);
        var larger = ArrayPool<byte>.Shared.Rent(size);
        if (_message is not null)
        {
            _message.AsSpan(0, _messageLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_message);
        }

        _message = larger;
    }

    private void ReturnMessage()
    {
        if (_message is not null)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }
    }

    private WebSocketMessage Fail(ushort code, string reason)
    {
        ReturnMessage();
        return new WebSocketMessage(WebSocketReceiveKind.Failed, CloseCode: code, Reason: reason);
    }

    private static bool IsControl(WebSocketOpcode opcode) => ((byte)opcode & 0x8) != 0;
}
