using System.Net.WebSockets;
using System.Text.Json.Nodes;
using BrokerChat.Peers;
using BrokerChat.Testing;

namespace BrokerChat.Tools.Tests.Peers;

public sealed class BarePeerTests
{
    private const int Timeout = 60_000;

    /// <summary>The connector's URL shape; the bare peer does not check the token.</summary>
    private const string HubPath = "client/hubs/chat?access_token=ignored";

    [Fact(Timeout = Timeout)]
    public async Task MembersOfARoomGetEveryMessageOfASenderInOrderAndANonMemberGetsNone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await PeerServer.StartAsync(PeerKind.Bare, cancellationToken: ct);
        await using var alice = await ConnectAsync(peer, ct);
        await using var bob = await ConnectAsync(peer, ct);
        await using var carol = await ConnectAsync(peer, ct);
        Assert.Equal("connected", (string?)(await alice.Connected)["event"]);
        Assert.NotEqual(alice.ConnectionId, bob.ConnectionId);
        await JoinAsync(alice, "room", ct);
        await JoinAsync(bob, "room", ct);
        await JoinAsync(carol, "elsewhere", ct);

        const int count = 200;
        for (var i = 0; i < count; i++)
        {
            await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "room", ["dataType"] = "json", ["data"] = new JsonObject { ["n"] = i } }, withAck: false, ct);
        }

        // Sent after the room's messages: whatever reached carol from "room" would be queued ahead of it.
        Assert.True((await alice.SendToGroupAsync("elsewhere", "after", cancellationToken: ct))!.Success);

        foreach (var member in new[] { alice, bob })
        {
            for (var i = 0; i < count; i++)
            {
                var message = await member.NextMessageAsync(ct);
                Assert.Equal(("group", "room", "json", i), ((string?)message["from"], (string?)message["group"], (string?)message["dataType"], (int)message["data"]!["n"]!));
            }
        }

        var first = await carol.NextMessageAsync(ct);
        Assert.Equal(("elsewhere", "after"), ((string?)first["group"], (string?)first["data"]));
    }

    [Fact(Timeout = Timeout)]
    public async Task RequestsWithoutAnAckIdGetNoAckAndNoEchoLeavesTheSenderOut()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await PeerServer.StartAsync(PeerKind.Bare, cancellationToken: ct);
        await using var bob = await ConnectAsync(peer, ct);
        await JoinAsync(bob, "room", ct);
        await using var alice = await ConnectAsync(peer, ct);

        await alice.SendRawAsync("""{"type":"joinGroup","group":"room"}""", ct);
        await alice.SendRawAsync("""{"type":"sendToGroup","group":"room","dataType":"text","data":"quiet","noEcho":true}""", ct);
        Assert.True((await alice.SendToGroupAsync("room", "echoed", cancellationToken: ct))!.Success);
        await alice.PingAsync(ct);

        Assert.Equal(["quiet", "echoed"], [(string?)(await bob.NextMessageAsync(ct))["data"], (string?)(await bob.NextMessageAsync(ct))["data"]]);
        Assert.Equal("text", (string?)(await bob.WaitForFrameAsync(f => (string?)f["data"] == "quiet", ct))["dataType"]);
        Assert.Equal("echoed", (string?)(await alice.NextMessageAsync(ct))["data"]);
        Assert.Equal(["system", "message", "ack", "pong"], alice.Frames.Select(f => (string?)f["type"]));
    }

    [Fact(Timeout = Timeout)]
    public async Task AnUnknownRequestIsRefusedInItsAckAndBadJsonClosesWith1007()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await PeerServer.StartAsync(PeerKind.Bare, cancellationToken: ct);
        await using var client = await ConnectAsync(peer, ct);

        var refused = await client.SendAsync(new JsonObject { ["type"] = "sendToUser", ["userId"] = "u" }, cancellationToken: ct);
        Assert.Equal((false, "BadRequest"), (refused!.Success, refused.ErrorName));

        await client.SendRawAsync("{not json", ct);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, (await client.WaitForCloseAsync(ct)).Status);
    }

    [Fact(Timeout = Timeout)]
    public async Task AMemberThatNeverReadsIsClosedAsASlowConsumerWhileOthersKeepReceiving()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await PeerServer.StartAsync(PeerKind.Bare, settings: new Dictionary<string, string?>
        {
            ["Bare:QueueCapacity"] = "100",
            ["Bare:CloseTimeout"] = "00:00:30",
        }, cancellationToken: ct);
        var url = peer.WebSocketUri(HubPath);

        // A bounded receive window (not a tiny one, which stalls loopback TCP in zero-window probes), so that what the
        // kernel buffers stays well under what is sent.
        var socket = await RawWebSocket.OpenAsync(url, ct);
        socket.ReceiveBufferSize = 256 * 1024;
        await using var slow = await RawWebSocket.UpgradeAsync(socket, url, ct);
        await slow.SendTextAsync("""{"type":"joinGroup","group":"room","ackId":1}""", ct);
        Assert.NotNull(await slow.ReadUntilAsync(f => f.Text.Contains("\"ack\"", StringComparison.Ordinal), ct));
        await using var reader = await ConnectAsync(peer, ct);
        await JoinAsync(reader, "room", ct);

        // 3,000 messages of 4 KB: far more than the member's queue and the socket buffers (about 4 MB) hold. Each send
        // waits for its ack, which comes after the message in the reader's own queue, so the reader never falls behind.
        const int count = 3000;
        var padding = new string('x', 4096);
        for (var i = 0; i < count; i++)
        {
            Assert.True((await reader.SendToGroupAsync("room", new JsonObject { ["n"] = i, ["pad"] = padding }, cancellationToken: ct))!.Success);
        }

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, (int)(await reader.NextMessageAsync(ct))["data"]!["n"]!);
        }

        // Now read what reached the slow member: part of the messages, then the close frame.
        var received = 0;
        RawFrame? frame;
        while ((frame = await slow.ReadFrameAsync(ct)) is { Opcode: 1 })
        {
            received++;
        }

        Assert.NotNull(frame);
        Assert.Equal((8, 1008, "slow consumer"), (frame.Opcode, frame.CloseCode, frame.CloseReason));
        Assert.InRange(received, 1, count - 1);
        await slow.SendCloseAsync(1008, ct);

        Assert.True((await reader.SendToGroupAsync("room", "still here", cancellationToken: ct))!.Success);
        Assert.Equal("still here", (string?)(await reader.NextMessageAsync(ct))["data"]);
    }

    private static Task<WebPubSubTestClient> ConnectAsync(RunningPeer peer, CancellationToken cancellationToken) =>
        WebPubSubTestClient.ConnectUrlAsync(peer.WebSocketUri(HubPath), cancellationToken: cancellationToken);

    private static async Task JoinAsync(WebPubSubTestClient client, string group, CancellationToken cancellationToken) =>
        Assert.True((await client.JoinGroupAsync(group, cancellationToken))!.Success);
}
