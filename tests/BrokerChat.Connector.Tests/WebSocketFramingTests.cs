using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BrokerChat.Connector.Transport;

namespace BrokerChat.Connector.Tests;

public sealed class WebSocketFramingTests
{
    private const int Limit = 64 * 1024;
    private static readonly byte[] MaskKey = [0x37, 0xFA, 0x21, 0x3D];

    [Fact]
    public void MessageSplitAtAnyByteIsUnmaskedAndReassembledExactly()
    {
        var text = string.Concat(Enumerable.Range(0, 40).Select(i => $"é{i}·"));
        var frame = ClientFrame(0x81, Encoding.UTF8.GetBytes(text));
        for (var split = 1; split < frame.Length; split++)
        {
            var messages = Receive([frame[..split], frame[split..]]);
            Assert.Equal(WebSocketReceiveKind.Text, messages[0].Kind);
            Assert.Equal(text, Encoding.UTF8.GetString(messages[0].Payload));
            messages[0].Return();
        }
    }

    [Fact]
    public void FragmentsWhoseLengthsShiftTheMaskPhaseJoinIntoOneMessage()
    {
        var payload = Enumerable.Range(0, 23).Select(i => (byte)('a' + i)).ToArray();
        byte[] frames = [.. ClientFrame(0x01, payload[..1]), .. ClientFrame(0x00, payload[1..3]), .. ClientFrame(0x00, payload[3..6]), .. ClientFrame(0x80, payload[6..])];

        var messages = Receive([frames]);

        Assert.Equal([WebSocketReceiveKind.Text, WebSocketReceiveKind.EndOfStream], messages.Select(m => m.Kind));
        Assert.Equal(payload, messages[0].Payload.ToArray());
    }

    [Fact]
    public void DeclaredLengthOverTheLimitFailsWith1009BeforeAnyPayloadArrives()
    {
        var header = new byte[14];
        header[0] = 0x82;
        header[1] = 0x80 | 127;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), ulong.MaxValue); // also must not overflow

        var messages = Receive([header]);

        Assert.Equal(WebSocketReceiveKind.Failed, messages[0].Kind);
        Assert.Equal(WebSocketCloseCodes.MessageTooBig, messages[0].CloseCode);
        Assert.Contains(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), messages[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FragmentsThatTogetherExceedTheLimitFailWith1009()
    {
        var half = new byte[(Limit / 2) + 1];
        byte[] frames = [.. ClientFrame(0x02, half), .. ClientFrame(0x80, half)];

        var messages = Receive([frames]);

        Assert.Equal(WebSocketCloseCodes.MessageTooBig, messages[0].CloseCode);
    }

    [Theory]
    [InlineData(new byte[] { 0x03 }, WebSocketCloseCodes.ProtocolError)] // one byte: no room for a code
    [InlineData(new byte[] { 0x03, 0xED }, WebSocketCloseCodes.ProtocolError)] // 1005 may not be sent
    [InlineData(new byte[] { 0x03, 0xE8, 0xC3, 0x28 }, WebSocketCloseCodes.InvalidPayloadData)] // reason not UTF-8
    public void InvalidCloseFramesFail(byte[] payload, ushort expected)
    {
        var messages = Receive([ClientFrame(0x88, payload)]);

        Assert.Equal(WebSocketReceiveKind.Failed, messages[0].Kind);
        Assert.Equal(expected, messages[0].CloseCode);
    }

    [Fact]
    public void CloseFrameCarriesItsCodeAndReason()
    {
        var messages = Receive([ClientFrame(0x88, [0x0F, 0xA0, .. "bye"u8])]);

        Assert.Equal((WebSocketReceiveKind.Close, (ushort)4000, "bye"), (messages[0].Kind, messages[0].CloseCode, messages[0].Reason));
    }

    [Fact]
    public void EmptyMessagesAndPingsComeBackAsTheyWereSent()
    {
        byte[] frames = [.. ClientFrame(0x81, []), .. ClientFrame(0x89, "x"u8.ToArray()), .. ClientFrame(0x8A, [])];

        var messages = Receive([frames]);

        Assert.Equal([WebSocketReceiveKind.Text, WebSocketReceiveKind.Ping, WebSocketReceiveKind.Pong], messages.Select(m => m.Kind).Take(3));
        Assert.Equal(0, messages[0].Length);
        Assert.Equal("x", Encoding.ASCII.GetString(messages[1].Payload));
    }

    [Fact]
    public void EndOfStreamInTheMiddleOfAFrameIsReported()
    {
        var frame = ClientFrame(0x81, "{\"type\":\"ping\"}"u8.ToArray());

        var messages = Receive([frame[..5]]);

        Assert.Equal(WebSocketReceiveKind.EndOfStream, messages[0].Kind);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    public void ServerHeaderUsesTheShortestLengthEncoding(int length, int expectedHeader)
    {
        var header = new byte[WebSocketFrameHeader.MaxLength];
        var written = WebSocketFrameHeader.WriteServerHeader(header, WebSocketOpcode.Text, length);

        Assert.Equal(expectedHeader, written);
        Assert.True(WebSocketFrameHeader.TryRead(new ReadOnlySequence<byte>(header, 0, written), out var parsed));
        Assert.Equal((true, WebSocketOpcode.Text, false, (long)length), (parsed.Fin, parsed.Opcode, parsed.Masked, parsed.PayloadLength));
    }

    [Fact]
    public void AcceptValueMatchesTheRfcExample() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.AcceptValue("dGhlIHNhbXBsZSBub25jZQ=="));

    [Theory]
    [InlineData("GET /client/hubs/chat?access_token=x HTTP/1.1\r\n", "ClientEndpoint")]
    [InlineData("GET /Client?hub=chat HTTP/1.1\r\n", "ClientEndpoint")]
    [InlineData("GET /client HTTP/1.1\r\n", "ClientEndpoint")]
    [InlineData("GET /cli", "NeedMore")]
    [InlineData("GET /client", "NeedMore")]
    [InlineData("GET /clients HTTP/1.1\r\n", "Pass")]
    [InlineData("GET /negotiate HTTP/1.1\r\n", "Pass")]
    [InlineData("POST /client HTTP/1.1\r\n", "Pass")]
    [InlineData("PRI * HTTP/2.0\r\n", "Pass")]
    [InlineData("\u0016\u0003\u0001", "Pass")]
    public void FirstBytesDecideWhetherTheConnectionIsForTheClientEndpoint(string start, string expected) =>
        Assert.Equal(Enum.Parse<WebSocketHandshake.Route>(expected), WebSocketHandshake.Classify(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(start))));

    [Fact]
    public void RequestHeadHeadersAreCaseInsensitiveAndRepeatedOnesJoined()
    {
        var head = HttpRequestHead.Parse("GET /client/hubs/a?x=1 HTTP/1.1\r\nHost: h\r\nsec-websocket-protocol: a\r\nSec-WebSocket-Protocol: b, c\r\n\r\n"u8);

        Assert.NotNull(head);
        Assert.Equal(("/client/hubs/a", "x=1"), (head.Path, head.Query));
        Assert.Equal("a,b, c", head["Sec-WebSocket-Protocol"]);
        Assert.Equal(["a", "b", "c"], WebSocketHandshake.Protocols(head["SEC-WEBSOCKET-PROTOCOL"]));
        Assert.Null(head["Upgrade"]);
    }

    [Theory]
    [InlineData("GET /client HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n")]
    [InlineData("GET /client HTTP/1.1\r\nHost : h\r\n\r\n")]
    [InlineData("GET /client HTTP/1.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET client HTTP/1.1\r\n\r\n")]
    public void MalformedRequestHeadsAreLeftToTheHttpServer(string head) =>
        Assert.Null(HttpRequestHead.Parse(Encoding.Latin1.GetBytes(head)));

    [Theory]
    [InlineData("websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", null)]
    [InlineData("WebSocket", "keep-alive, Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", null)]
    [InlineData("websocket", "Upgrade", "8", "dGhlIHNhbXBsZSBub25jZQ==", 426)]
    [InlineData("websocket", "Upgrade", "13", "c2hvcnQ=", 400)]
    [InlineData("h2c", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", 400)]
    [InlineData("websocket", "keep-alive", "13", "dGhlIHNhbXBsZSBub25jZQ==", 400)]
    public void UpgradeHeadersAreChecked(string upgrade, string connection, string version, string key, int? expectedStatus) =>
        Assert.Equal(expectedStatus, WebSocketHandshake.CheckUpgradeHeaders(upgrade, connection, version, key)?.Status);

    /// <summary>
    /// Feeds <paramref name="chunks"/> to a receiver one at a time, as reads from a pipe would arrive (unconsumed
    /// bytes stay in front of the next chunk), then ends the stream; returns what the receiver found.
    /// </summary>
    private static List<WebSocketMessage> Receive(IEnumerable<byte[]> chunks)
    {
        using var receiver = new WebSocketReceiver(Limit);
        var messages = new List<WebSocketMessage>();
        byte[] pending = [];
        foreach (var chunk in chunks)
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, .. chunk]);
            while (receiver.TryReceive(ref buffer, out var message))
            {
                messages.Add(message);
                if (message.Kind is WebSocketReceiveKind.Failed or WebSocketReceiveKind.Close)
                {
                    return messages;
                }
            }

            pending = buffer.ToArray();
        }

        messages.Add(new WebSocketMessage(WebSocketReceiveKind.EndOfStream));
        return messages;
    }

    private static byte[] ClientFrame(byte first, byte[] payload)
    {
        var header = new List<byte> { first };
        if (payload.Length <= 125)
        {
            header.Add((byte)(0x80 | payload.Length));
        }
        else
        {
            header.Add(0x80 | 126);
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }

        header.AddRange(MaskKey);
        return [.. header, .. payload.Select((b, i) => (byte)(b ^ MaskKey[i & 3]))];
    }
}
