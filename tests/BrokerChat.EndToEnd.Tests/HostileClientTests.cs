using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Testing;
using MessagePack;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// Abusive clients over real sockets, each next to two well-behaved members of a group who must keep chatting
/// through it: frames that are malformed, nested too deeply, not Unicode, compressed without a negotiated extension,
/// oversized in pieces or never ending, control frames that are too long. The cases the protocol tests already cover
/// (unmasked frames, RSV bits, unknown opcodes, invalid UTF-8, a single oversized frame) are not repeated here.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HostileClientTests(PipelineFixture fixture)
{
    private const int Timeout = 60_000;
    private const int MaxMessageBytes = 1024 * 1024; // the connector's default, which the pipeline fixture keeps

    [Theory(Timeout = Timeout)]
    [InlineData("json-deeply-nested", 1007)]
    [InlineData("json-unpaired-surrogate", 1007)]
    [InlineData("json-two-objects", 1007)]
    [InlineData("msgpack-declared-length-beyond-frame", 1007)]
    [InlineData("msgpack-deeply-nested", 1007)]
    [InlineData("msgpack-not-a-map", 1007)]
    [InlineData("ping-over-125-bytes", 1002)]
    [InlineData("compressed-without-negotiation", 1002)]
    public async Task AbusiveFrameClosesItsConnectionWithTheDocumentedCodeWhileOtherClientsKeepChatting(string abuse, int expectedCode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bystanders = await Bystanders.StartAsync(fixture.Host, abuse, ct);
        var msgpack = abuse.StartsWith("msgpack", StringComparison.Ordinal);
        await using var abuser = await ConnectAsync(abuse, ct, msgpack ? "msgpack.webpubsub.brokerchat.v1" : "json.webpubsub.azure.v1");

        var (opcode, payload) = abuse switch
        {
            "json-deeply-nested" => (0x81, Encoding.UTF8.GetBytes("""{"type":"sendToGroup","group":"g","data":""" + new string('[', 100_000) + new string(']', 100_000) + "}")),
            "json-unpaired-surrogate" => (0x81, """{"type":"joinGroup","group":"\ud800","ackId":1}"""u8.ToArray()),
            "json-two-objects" => (0x81, """{"type":"ping"}{"type":"ping"}"""u8.ToArray()),
            "msgpack-declared-length-beyond-frame" => (0x82, new byte[] { 0x82, 0xA4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xA4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0x01, 0xC6, 0xFF, 0xFF, 0xFF, 0xFF }),
            "msgpack-deeply-nested" => (0x82, [0x82, 0xA4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xA4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0xA1, (byte)'x', .. Enumerable.Repeat((byte)0x91, 100_000), 0xC0]),
            "msgpack-not-a-map" => (0x82, MessagePackSerializer.Serialize(new[] { "type", "ping" }, cancellationToken: ct)),
            "ping-over-125-bytes" => (0x89, new byte[126]),
            "compressed-without-negotiation" => (0xC1, Deflate("""{"type":"ping"}"""u8.ToArray())), // FIN + RSV1 + text
            _ => throw new ArgumentOutOfRangeException(nameof(abuse)),
        };
        await abuser.SendFrameAsync((byte)opcode, payload, ct);

        var close = await abuser.ReadUntilAsync(f => f.Opcode == 8, ct);
        Assert.Equal(expectedCode, close!.CloseCode);
        Assert.NotEmpty(close.CloseReason);
        Assert.Null(await abuser.ReadFrameAsync(ct));
        await bystanders.StillChatAsync(ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task RequestOfTheWrongShapeGetsAnAckErrorAndTheConnectionStaysOpen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var abuser = await ConnectAsync("wrong-types", ct);

        await abuser.SendTextAsync("""{"ackId":3,"type":"joinGroup","group":["not","a","string"]}""", ct);

        var ack = JsonNode.Parse((await abuser.ReadUntilAsync(f => f.Opcode == 1, ct))!.Text)!;
        Assert.Equal(("ack", 3, false, "BadRequest"), ((string)ack["type"]!, (int)ack["ackId"]!, (bool)ack["success"]!, (string)ack["error"]!["name"]!));
        await abuser.SendTextAsync("""{"type":"joinGroup","group":"g","ackId":4}""", ct);
        Assert.Equal("""{"type":"ack","ackId":4,"success":true}""", (await abuser.ReadFrameAsync(ct))!.Text);
    }

    [Fact(Timeout = Timeout)]
    public async Task CompressionOfferedInTheHandshakeIsNotNegotiated()
    {
        var ct = TestContext.Current.CancellationToken;

        await using var client = await RawWebSocket.ConnectAsync(fixture.Host.ClientUrl("deflate", "u"), ct,
            extraHeaders: "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");

        Assert.Equal(101, client.Status);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", client.ResponseHead, StringComparison.OrdinalIgnoreCase);
        await client.ReadFrameAsync(ct); // connected
        await client.SendTextAsync("""{"type":"joinGroup","group":"g","ackId":1}""", ct); // frames stay uncompressed
        Assert.Equal("""{"type":"ack","ackId":1,"success":true}""", (await client.ReadFrameAsync(ct))!.Text);
    }

    [Fact(Timeout = Timeout)]
    public async Task FragmentsThatTogetherExceedTheLimitCloseWith1009WhileOtherClientsKeepChatting()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bystanders = await Bystanders.StartAsync(fixture.Host, "fragments-over", ct);
        await using var abuser = await ConnectAsync("fragments-over", ct);
        var third = new byte[MaxMessageBytes / 3 + 1];
        Array.Fill(third, (byte)'x');

        await abuser.SendFrameAsync(0x01, third, ct); // text, not final
        await abuser.SendFrameAsync(0x00, third, ct);
        await abuser.SendFrameAsync(0x80, third, ct); // final: one byte more than the limit in all

        var close = await abuser.ReadUntilAsync(f => f.Opcode == 8, ct);
        Assert.Equal(1009, close!.CloseCode);
        Assert.Contains(MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), close.CloseReason, StringComparison.Ordinal);
        await bystanders.StillChatAsync(ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task MessageThatNeverEndsIsClosedWith1009OnceItPassesTheLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bystanders = await Bystanders.StartAsync(fixture.Host, "never-ending", ct);
        await using var abuser = await ConnectAsync("never-ending", ct);
        var fragment = new byte[16 * 1024];
        var closed = abuser.ReadUntilAsync(f => f.Opcode == 8, ct);

        // Continuations without a final one, until the server has had enough; the cap only stops a broken server.
        long sent = 0;
        try
        {
            await abuser.SendFrameAsync(0x01, fragment, ct);
            for (sent = fragment.Length; !closed.IsCompleted && sent < 16L * MaxMessageBytes; sent += fragment.Length)
            {
                await abuser.SendFrameAsync(0x00, fragment, ct);
            }
        }
        catch (SocketException)
        {
            // The server closed the connection while frames were still being sent.
        }

        var close = await closed;
        Assert.Equal(1009, close!.CloseCode);
        Assert.True(sent > MaxMessageBytes, $"Closed after only {sent} bytes.");
        await bystanders.StillChatAsync(ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task HandshakeDribbledAByteAtATimeIsDroppedAtTheHandshakeTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings { Connector = { HandshakeTimeout = TimeSpan.FromSeconds(1) }, Functions = { InProcessWorkers = 0 } });
        using var metrics = new MetricsRecorder(host.Services);
        using var slowloris = await RawWebSocket.OpenAsync(new Uri($"ws://{host.BaseUri.Authority}/"), ct);
        var head = Encoding.ASCII.GetBytes("GET /client/hubs/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" + string.Concat(Enumerable.Repeat("X-Padding: keep-me-waiting\r\n", 100)));
        var buffer = new byte[1024];
        var ended = slowloris.ReceiveAsync(buffer, ct).AsTask();
        var started = Stopwatch.StartNew();

        // Never idle: a byte every 50 ms, so only a deadline on the whole handshake (not an idle timeout) ends it.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var at = 0;
        while (!ended.IsCompleted && at < head.Length && started.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await slowloris.SendAsync(head.AsMemory(at++, 1), ct);
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(ended, pace.WaitForNextTickAsync(ct).AsTask());
        }

        var received = await ended.WaitAsync(TimeSpan.FromSeconds(20), ct).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : 0, ct);
        Assert.Equal(0, received); // dropped, not answered
        Assert.True(at < head.Length, "The whole head was sent before the connection was dropped.");
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));
        await Wait.UntilAsync(() => metrics.Total("brokerchat.connector.connections.rejected", "handshake_timeout") == 1, ct);
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectionFloodFromOneAddressIsCappedWhileAnotherAddressConnectsAndChats()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BrokerChatHost.StartAsync(new HostSettings
        {
            Connector = { MaxConnectionsPerAddress = 5 },
            Functions = { InProcessWorkers = 1 },
        });
        var url = host.ClientUrl("flood", "u");
        var flooder = IPAddress.Parse("127.0.0.2");

        var attempts = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(flooder, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, url.Port), ct);
            return await RawWebSocket.UpgradeAsync(socket, url, ct);
        }));

        try
        {
            Assert.Equal(5, attempts.Count(a => a.Status == 101));
            Assert.Equal(35, attempts.Count(a => a.Status == 429));
            await using var other = await WebPubSubTestClient.ConnectUrlAsync(url, new() { ConfigureSocket = s => s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0)) }, ct);
            Assert.True((await other.JoinGroupAsync("room", ct))!.Success);
            Assert.True((await other.SendToGroupAsync("room", "through the flood", cancellationToken: ct))!.Success);
            Assert.Equal("through the flood", (string)(await other.NextMessageAsync(ct))["data"]!);
        }
        finally
        {
            foreach (var attempt in attempts)
            {
                await attempt.DisposeAsync();
            }
        }
    }

    private async Task<RawWebSocket> ConnectAsync(string hub, CancellationToken ct, string subprotocol = "json.webpubsub.azure.v1")
    {
        var client = await RawWebSocket.ConnectAsync(fixture.Host.ClientUrl(Hub(hub), "abuser"), ct, subprotocol);
        Assert.Equal(101, client.Status);
        Assert.NotNull(await client.ReadFrameAsync(ct)); // connected
        return client;
    }

    /// <summary>A hub of the case's own (hub names are letters, digits and underscores).</summary>
    internal static string Hub(string name) => "hostile_" + name.Replace('-', '_');

    /// <summary>Raw DEFLATE as permessage-deflate sends it (without the final empty block's trailer).</summary>
    private static byte[] Deflate(byte[] payload)
    {
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(payload);
        }

        return buffer.ToArray();
    }
}
