using System.Net;
using System.Net.WebSockets;
using System.Text;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// The connector's own WebSocket implementation against RFC 6455, driven over bare sockets so that every byte is
/// the test's choice: fragments, control frames, masking, the close handshake, and upgrades arriving on a kept-alive
/// HTTP connection or over HTTP/2.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class WebSocketProtocolTests(PipelineFixture fixture)
{
    private const int Timeout = 60_000;

    [Fact(Timeout = Timeout)]
    public async Task FragmentedMessageWithAPingBetweenItsFragmentsIsReassembledAndThePingAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync("fragments", ct);
        var request = Encoding.UTF8.GetBytes("""{"type":"joinGroup","group":"g","ackId":7}""");

        await client.SendFrameAsync(0x01, request.AsMemory(0, 10), ct); // text, not final
        await client.SendFrameAsync(0x89, "are you there"u8.ToArray(), ct); // ping between fragments
        await client.SendFrameAsync(0x00, request.AsMemory(10, 20), ct); // continuation
        await client.SendFrameAsync(0x80, request.AsMemory(30), ct); // final continuation

        var pong = await client.ReadFrameAsync(ct);
        Assert.Equal(10, pong!.Opcode);
        Assert.Equal("are you there", pong.Text);
        var ack = await client.ReadFrameAsync(ct);
        Assert.Equal(1, ack!.Opcode);
        Assert.Equal("""{"type":"ack","ackId":7,"success":true}""", ack.Text);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("unmasked", 1002)]
    [InlineData("reserved-bit", 1002)]
    [InlineData("unknown-opcode", 1002)]
    [InlineData("fragmented-ping", 1002)]
    [InlineData("orphan-continuation", 1002)]
    [InlineData("invalid-utf8", 1007)]
    [InlineData("binary", 1003)]
    public async Task FrameThatBreaksTheProtocolClosesTheConnectionWithTheMatchingCode(string violation, int expectedCode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync("violations", ct);
        var ping = """{"type":"ping"}"""u8.ToArray();
        switch (violation)
        {
            case "unmasked":
                await client.SendFrameAsync(0x81, ping, ct, mask: false);
                break;
            case "reserved-bit":
                await client.SendFrameAsync(0xC1, ping, ct); // RSV1 without a negotiated extension
                break;
            case "unknown-opcode":
                await client.SendFrameAsync(0x83, ping, ct);
                break;
            case "fragmented-ping":
                await client.SendFrameAsync(0x09, Array.Empty<byte>(), ct);
                break;
            case "orphan-continuation":
                await client.SendFrameAsync(0x80, ping, ct);
                break;
            case "invalid-utf8":
                await client.SendFrameAsync(0x81, new byte[] { (byte)'"', 0xC3, 0x28, (byte)'"' }, ct);
                break;
            case "binary":
                await client.SendFrameAsync(0x82, ping, ct);
                break;
        }

        var close = await client.ReadUntilAsync(f => f.Opcode == 8, ct);
        Assert.Equal(expectedCode, close!.CloseCode);
        Assert.NotEmpty(close.CloseReason);
        Assert.Null(await client.ReadFrameAsync(ct)); // and the server ends the connection
    }

    [Fact(Timeout = Timeout)]
    public async Task ClientCloseIsAnsweredWithACloseFrameThenTheConnectionEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync("closing", ct);

        await client.SendCloseAsync(1000, ct);

        var close = await client.ReadFrameAsync(ct);
        Assert.Equal(8, close!.Opcode);
        Assert.Equal(1000, close.CloseCode);
        Assert.Null(await client.ReadFrameAsync(ct));
    }

    [Fact(Timeout = Timeout)]
    public async Task MessageSplitIntoManySmallWritesArrivesWhole()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync("trickle", ct);
        var text = $$"""{"type":"joinGroup","group":"{{new string('g', 1000)}}","ackId":1}""";
        // One byte per write: every header field and the mask straddle reads on the server.
        foreach (var b in MaskedTextFrame(text))
        {
            await client.SendRawAsync(new[] { b }, ct);
        }

        var ack = await client.ReadFrameAsync(ct);
        Assert.Equal("""{"type":"ack","ackId":1,"success":true}""", ack!.Text);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("12", HttpStatusCode.UpgradeRequired)]
    [InlineData(null, HttpStatusCode.UpgradeRequired)]
    public async Task UnsupportedWebSocketVersionGets426(string? version, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RawWebSocket.ConnectAsync(fixture.Host.ClientUrl("versions", "u"), ct, version: version);

        Assert.Equal((int)expected, client.Status);
        Assert.Contains("Sec-WebSocket-Version: 13", client.ResponseHead, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task UnsupportedWebPubSubSubprotocolIsRefusedRatherThanServedAsASimpleClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RawWebSocket.ConnectAsync(fixture.Host.ClientUrl("subprotocols", "u"), ct, subprotocol: "protobuf.webpubsub.azure.v1");

        Assert.Equal(400, client.Status);
    }

    [Fact(Timeout = Timeout)]
    public async Task OtherSubprotocolIsEchoedAndTheClientIsServedAsASimpleClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RawWebSocket.ConnectAsync(fixture.Host.ClientUrl("subprotocols", "u"), ct, subprotocol: "chat.v2, chat.v1");

        Assert.Equal(101, client.Status);
        Assert.Contains("Sec-WebSocket-Protocol: chat.v2\r\n", client.ResponseHead, StringComparison.Ordinal);
        await client.SendFrameAsync(0x89, "alive?"u8.ToArray(), ct);
        var first = await client.ReadFrameAsync(ct); // not a connected frame: simple clients get no JSON protocol frames
        Assert.Equal((10, "alive?"), (first!.Opcode, first.Text));
    }

    [Fact(Timeout = Timeout)]
    public async Task RecoveryAttemptIsAcceptedThenClosedWith1008SoTheClientConnectsAfresh()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = new Uri(fixture.Host.ClientUrl("recovery", "u") + "&awps_connection_id=gone&awps_reconnection_token=stale");

        await using var client = await RawWebSocket.ConnectAsync(url, ct);

        Assert.Equal(101, client.Status);
        Assert.Contains("\"event\":\"disconnected\"", (await client.ReadFrameAsync(ct))!.Text, StringComparison.Ordinal);
        var close = await client.ReadFrameAsync(ct);
        Assert.Equal((8, 1008), (close!.Opcode, close.CloseCode));
    }

    [Fact(Timeout = Timeout)]
    public async Task UpgradeOnAConnectionThatAlreadyCarriedAnHttpRequestIsServed()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = fixture.Host.ClientUrl("keptalive", "u");
        using var socket = await RawWebSocket.OpenAfterHttpRequestAsync(url, ct);

        await using var client = await RawWebSocket.UpgradeAsync(socket, url, ct);

        Assert.True(client.Status == 101, client.ResponseHead);
        Assert.Contains("\"event\":\"connected\"", (await client.ReadFrameAsync(ct))!.Text, StringComparison.Ordinal);
        await client.SendTextAsync("""{"type":"joinGroup","group":"g","ackId":3}""", ct);
        Assert.Equal("""{"type":"ack","ackId":3,"success":true}""", (await client.ReadFrameAsync(ct))!.Text);
    }

    [Fact(Timeout = Timeout)]
    public async Task WebSocketOverHttp2ExtendedConnectIsServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            ["Kestrel:EndpointDefaults:Protocols"] = "Http2",
            Functions = { InProcessWorkers = 0 },
        });
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("json.webpubsub.azure.v1");
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var invoker = SocketInvoker.Create(null);

        await socket.ConnectAsync(host.ClientUrl("h2", "u"), invoker, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        var buffer = new byte[4096];
        var connected = await socket.ReceiveAsync(buffer, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);

        Assert.Equal("json.webpubsub.azure.v1", socket.SubProtocol);
        Assert.Contains("\"event\":\"connected\"", Encoding.UTF8.GetString(buffer, 0, connected.Count), StringComparison.Ordinal);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    private async Task<RawWebSocket> ConnectAsync(string hub, CancellationToken ct)
    {
        var client = await RawWebSocket.ConnectAsync(fixture.Host.ClientUrl(hub, "u"), ct);
        Assert.Equal(101, client.Status);
        Assert.Contains("\"event\":\"connected\"", (await client.ReadFrameAsync(ct))!.Text, StringComparison.Ordinal);
        return client;
    }

    /// <summary>The bytes of one masked text frame with a 16-bit length (payloads of 126 to 65,535 bytes).</summary>
    private static byte[] MaskedTextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var key = new byte[] { 0x11, 0x5A, 0xC3, 0x7E };
        var header = new List<byte> { 0x81, 0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length };
        header.AddRange(key);
        return [.. header, .. payload.Select((b, i) => (byte)(b ^ key[i & 3]))];
    }
}
