using System.Buffers;
using System.Buffers.Binary;

namespace BrokerChat.Connector.Transport;

/// <summary>WebSocket frame opcodes (RFC 6455 §5.2).</summary>
internal enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>
/// Close codes the frame parser reports (RFC 6455 §7.4); the connector's own closes use
/// <see cref="System.Net.WebSockets.WebSocketCloseStatus"/> values.
/// </summary>
internal static class WebSocketCloseCodes
{
    public const ushort NormalClosure = 1000;

    /// <summary>Reported for a close frame that carries no status code (it is never sent).</summary>
    public const ushort NoStatusReceived = 1005;
    public const ushort ProtocolError = 1002;
    public const ushort InvalidPayloadData = 1007;
    public const ushort MessageTooBig = 1009;

    /// <summary>Whether a peer may send <paramref name="code"/> in a close frame (1005, 1006, 1015 and undefined codes may not).</summary>
    public static bool IsValidFromPeer(ushort code) =>
        code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;
}

/// <summary>The parsed header of one frame sent by a client.</summary>
internal readonly record struct WebSocketFrameHeader(bool Fin, byte Reserved, WebSocketOpcode Opcode, bool Masked, long PayloadLength, uint MaskKey, int HeaderLength)
{
    /// <summary>The largest header: 2 bytes, 8 of extended length, 4 of mask key.</summary>
    public const int MaxLength = 14;

    /// <summary>The largest control-frame payload.</summary>
    public const int MaxControlPayload = 125;

    /// <summary>Reads a frame header from the start of <paramref name="buffer"/>; false when more bytes are needed.</summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, out WebSocketFrameHeader header)
    {
        Span<byte> bytes = stackalloc byte[MaxLength];
        var available = (int)Math.Min(buffer.Length, MaxLength);
        if (available < 2)
        {
            header = default;
            return false;
        }

        buffer.Slice(0, available).CopyTo(bytes);
        var lengthCode = bytes[1] & 0x7F;
        var masked = (bytes[1] & 0x80) != 0;
        var lengthBytes = lengthCode switch { 126 => 2, 127 => 8, _ => 0 };
        var headerLength = 2 + lengthBytes + (masked ? 4 : 0);
        if (available < headerLength)
        {
            header = default;
            return false;
        }

        long length = lengthCode switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            127 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]), long.MaxValue),
            _ => lengthCode,
        };
        var maskKey = masked ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[(2 + lengthBytes)..]) : 0u;
        header = new WebSocketFrameHeader(
            Fin: (bytes[0] & 0x80) != 0,
            Reserved: (byte)((bytes[0] >> 4) & 0x7),
            Opcode: (WebSocketOpcode)(bytes[0] & 0x0F),
            Masked: masked,
            PayloadLength: length,
            MaskKey: maskKey,
            HeaderLength: headerLength);
        return true;
    }

    /// <summary>Writes the header of a final, unmasked server frame; returns its length.</summary>
    public static int WriteServerHeader(Span<byte> destination, WebSocketOpcode opcode, long payloadLength)
    {
        destination[0] = (byte)(0x80 | (byte)opcode);
        switch (payloadLength)
        {
            case <= 125:
                destination[1] = (byte)payloadLength;
                return 2;
            case <= ushort.MaxValue:
                destination[1] = 126;
                BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
                return 4;
            default:
                destination[1] = 127;
                BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
                return 10;
        }
    }

    /// <summary>
    /// Copies masked payload bytes to <paramref name="destination"/>, unmasking them; <paramref name="maskOffset"/> is the
    /// position within the frame's payload of the first byte, so a payload can be unmasked in pieces.
    /// </summary>
    public static void Unmask(in ReadOnlySequence<byte> source, Span<byte> destination, uint maskKey, long maskOffset)
    {
        source.CopyTo(destination);
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(key, maskKey);
        var phase = (int)(maskOffset & 3);
        var i = 0;
        for (; i < destination.Length && ((phase + i) & 3) != 0; i++)
        {
            destination[i] ^= key[(phase + i) & 3];
        }

        if (BitConverter.IsLittleEndian)
        {
            // In phase now: whole words take the key as it was read from the wire.
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(destination[i..]);
            for (var w = 0; w < words.Length; w++)
            {
                words[w] ^= maskKey;
            }

            i += words.Length * 4;
        }

        for (; i < destination.Length; i++)
        {
            destination[i] ^= key[(phase + i) & 3];
        }
    }
}
