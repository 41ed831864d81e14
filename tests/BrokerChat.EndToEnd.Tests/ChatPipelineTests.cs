using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.Connections;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Names;
using BrokerChat.Functions.Hosting;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// Client → connector → Kafka → worker function → Kafka → connector → clients, over real WebSockets and the
/// embedded Kafka.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ChatPipelineTests(PipelineFixture fixture)
{
    private const int Timeout = 60_000;
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = Timeout)]
    public async Task MembersReceiveGroupMessagesInSendOrderAndNonMembersReceiveNone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("rooms", "alice", ct);
        await using var bob = await Host.ConnectAsync("rooms", "bob", ct);
        await using var carol = await Host.ConnectAsync("rooms", "carol", ct);
        Assert.True((await alice.JoinGroupAsync("red", ct))!.Success);
        Assert.True((await bob.JoinGroupAsync("red", ct))!.Success);
        Assert.True((await carol.JoinGroupAsync("blue", ct))!.Success);

        const int count = 40;
        var acks = new List<Task<AckFrame>>();
        for (var i = 0; i < count; i++)
        {
            acks.Add(await alice.SendWithoutWaitingAsync(Send("red", new JsonObject { ["n"] = i }), ct));
            if (i % 4 == 0)
            {
                acks.Add(await carol.SendWithoutWaitingAsync(Send("blue", new JsonObject { ["n"] = i / 4 }), ct));
            }
        }

        foreach (var ack in await Task.WhenAll(acks))
        {
            Assert.True(ack.Success, ack.ErrorMessage);
        }

        for (var i = 0; i < count; i++)
        {
            var atBob = await bob.NextMessageAsync(ct);
            Assert.Equal("red", (string?)atBob["group"]);
            Assert.Equal("alice", (string?)atBob["fromUserId"]);
            Assert.Equal(i, (int)atBob["data"]!["n"]!);
            var atAlice = await alice.NextMessageAsync(ct); // no noEcho: the sender gets its own messages too
            Assert.Equal(i, (int)atAlice["data"]!["n"]!);
        }

        for (var i = 0; i < count / 4; i++)
        {
            var atCarol = await carol.NextMessageAsync(ct);
            Assert.Equal("blue", (string?)atCarol["group"]);
            Assert.Equal(i, (int)atCarol["data"]!["n"]!);
        }

        // Fence: one more message per room; anything misrouted would have arrived before it.
        await alice.SendToGroupAsync("red", "fence", cancellationToken: ct);
        await carol.SendToGroupAsync("blue", "fence", cancellationToken: ct);
        Assert.Equal("fence", (string?)(await bob.NextMessageAsync(ct))["data"]);
        Assert.Equal("fence", (string?)(await carol.NextMessageAsync(ct))["data"]);
        Assert.False(bob.TryTakeMessage(out _));
        Assert.False(carol.TryTakeMessage(out _));
    }

    [Fact(Timeout = Timeout)]
    public async Task NoEchoExcludesOnlyTheSender()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("noecho", "alice", ct);
        await using var bob = await Host.ConnectAsync("noecho", "bob", ct);
        await alice.JoinGroupAsync("g", ct);
        await bob.JoinGroupAsync("g", ct);

        var ack = await alice.SendToGroupAsync("g", "quiet", noEcho: true, ct);
        Assert.True(ack!.Success);
        Assert.Equal("quiet", (string?)(await bob.NextMessageAsync(ct))["data"]);

        // Bob's echoing message reaches Alice; had her own noEcho message reached her, it would be first.
        await bob.SendToGroupAsync("g", "loud", cancellationToken: ct);
        Assert.Equal("loud", (string?)(await alice.NextMessageAsync(ct))["data"]);
        Assert.Equal("loud", (string?)(await bob.NextMessageAsync(ct))["data"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task SuccessAckFollowsTheDeliveryReadBackFromTheOutboundTopic()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("ackorder", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        var ack = await alice.SendToGroupAsync("g", new JsonObject { ["x"] = 1 }, cancellationToken: ct);
        Assert.True(ack!.Success);

        // The connector acknowledges when it reads the delivery back from Kafka, after fanning it out; so the
        // sender's own copy is already in its socket ahead of the ack.
        var frames = alice.Frames.ToList();
        var messageIndex = frames.FindIndex(f => (string?)f["type"] == "message");
        var ackIndex = frames.FindIndex(f => (string?)f["type"] == "ack" && (ulong)f["ackId"]! == ack.AckId);
        Assert.InRange(messageIndex, 0, ackIndex - 1);
    }

    [Fact(Timeout = Timeout)]
    public async Task EveryDataTypeRoundTripsAsSent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("types", "alice", ct);
        await alice.JoinGroupAsync("g", ct);
        Assert.True((await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["dataType"] = "text", ["data"] = "héllo \"q\"" }, cancellationToken: ct))!.Success);
        Assert.True((await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["dataType"] = "binary", ["data"] = "AQID" }, cancellationToken: ct))!.Success);
        Assert.True((await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["data"] = new JsonArray(1, "two", null) }, cancellationToken: ct))!.Success);

        var text = await alice.NextMessageAsync(ct);
        Assert.Equal(("text", "héllo \"q\""), ((string?)text["dataType"], (string?)text["data"]));
        var binary = await alice.NextMessageAsync(ct);
        Assert.Equal(("binary", "AQID"), ((string?)binary["dataType"], (string?)binary["data"]));
        var json = await alice.NextMessageAsync(ct);
        Assert.Equal("json", (string?)json["dataType"]);
        Assert.Equal("""[1,"two",null]""", json["data"]!.ToJsonString());
    }

    [Fact(Timeout = Timeout)]
    public async Task RequestRepeatedWithTheSameAckIdIsAnsweredDuplicateAndNotCarriedOutAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("dupes", "alice", ct);
        await using var bob = await Host.ConnectAsync("dupes", "bob", ct);
        await alice.JoinGroupAsync("g", ct);
        await bob.JoinGroupAsync("g", ct);
        const string send = """{"type":"sendToGroup","group":"g","dataType":"text","data":"once","noEcho":true,"ackId":500}""";
        const string join = """{"type":"joinGroup","group":"h","ackId":501}""";

        await alice.SendRawAsync(send, ct);
        await alice.WaitForFrameAsync(f => IsAck(f, 500) && (bool?)f["success"] == true, ct);
        await alice.SendRawAsync(send, ct);
        var duplicate = await alice.WaitForFrameAsync(f => IsAck(f, 500) && (bool?)f["success"] == false, ct);
        await alice.SendRawAsync(join, ct);
        await alice.WaitForFrameAsync(f => IsAck(f, 501) && (bool?)f["success"] == true, ct);
        await alice.SendRawAsync(join, ct);
        var duplicateJoin = await alice.WaitForFrameAsync(f => IsAck(f, 501) && (bool?)f["success"] == false, ct);
        Assert.True((await alice.SendToGroupAsync("g", "after", noEcho: true, ct))!.Success);

        Assert.Equal("Duplicate", (string?)duplicate["error"]!["name"]);
        Assert.Equal("Duplicate", (string?)duplicateJoin["error"]!["name"]);
        Assert.Equal("once", (string?)(await bob.NextMessageAsync(ct))["data"]);
        Assert.Equal("after", (string?)(await bob.NextMessageAsync(ct))["data"]); // the repeat was not delivered

        static bool IsAck(JsonObject frame, ulong ackId) => (string?)frame["type"] == "ack" && (ulong?)frame["ackId"] == ackId;
    }

    [Fact(Timeout = Timeout)]
    public async Task SimpleWebSocketClientGetsRawFramesAndItsOwnFramesBecomeMessageEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        using var inbound = InboundWatcher.FromNow(Host);
        var token = Host.Services.GetRequiredService<AccessTokenService>().Mint(new Uri(Host.BaseUri, "client/hubs/simple").ToString(), "raw-user", [], ["g"], TimeSpan.FromHours(1));
        await using var raw = await RawWebSocket.ConnectAsync(new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/simple?access_token={token}"), ct, subprotocol: null);
        Assert.Equal(101, raw.Status);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", raw.ResponseHead, StringComparison.OrdinalIgnoreCase);
        var index = Host.Services.GetRequiredService<ConnectionIndex>();
        await Wait.UntilAsync(() => index.GroupMembers("simple", "g").Length == 1, ct); // joined through its token

        await using var alice = await Host.ConnectAsync("simple", "alice", ct);
        await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["dataType"] = "text", ["data"] = "hi" }, cancellationToken: ct);
        await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["dataType"] = "binary", ["data"] = "AQID" }, cancellationToken: ct);
        await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["data"] = new JsonObject { ["a"] = 1 } }, cancellationToken: ct);

        // No connected frame, no JSON envelope: the payloads themselves, in order.
        var frames = new[] { await raw.ReadFrameAsync(ct), await raw.ReadFrameAsync(ct), await raw.ReadFrameAsync(ct) };
        Assert.Equal((1, "hi"), (frames[0]!.Opcode, frames[0]!.Text));
        Assert.Equal(2, frames[1]!.Opcode);
        Assert.Equal([1, 2, 3], frames[1]!.Payload);
        Assert.Equal((1, """{"a":1}"""), (frames[2]!.Opcode, frames[2]!.Text));

        await raw.SendTextAsync("hello", ct);
        await raw.SendFrameAsync(0x82, new byte[] { 9, 8 }, ct);
        // Its presence in "g" and its opening went to the inbound topic too, as records of other kinds.
        var text = await inbound.NextAsync(f => f.UserId == "raw-user" && f.Kind == InboundKind.Event, ct);
        var binary = await inbound.NextAsync(f => f.UserId == "raw-user" && f.Kind == InboundKind.Event, ct);
        Assert.Equal((InboundKind.Event, "message", DataType.Text, "hello"), (text.Kind, text.EventName, text.DataType, Encoding.UTF8.GetString(text.Payload)));
        Assert.Equal((InboundKind.Event, "message", DataType.Binary), (binary.Kind, binary.EventName, binary.DataType));
        Assert.Equal([9, 8], binary.Payload);
    }

    [Fact(Timeout = Timeout)]
    public async Task InvalidRequestsGetAckErrorsAndTheConnectionStaysUsable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("invalid", "alice", ct);
        await alice.JoinGroupAsync("g", ct);

        // Rejected by the connector.
        var badGroup = await alice.SendToGroupAsync("   ", "x", cancellationToken: ct);
        Assert.Equal("BadRequest", badGroup!.ErrorName);
        var badBase64 = await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["dataType"] = "binary", ["data"] = "not base64!" }, cancellationToken: ct);
        Assert.Equal("BadRequest", badBase64!.ErrorName);
        var unknown = await alice.SendAsync(new JsonObject { ["type"] = "teleport" }, cancellationToken: ct);
        Assert.Equal("BadRequest", unknown!.ErrorName);

        // Rejected by a worker function, the answer coming back through the outbound topic.
        var tooBig = await alice.SendAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "g", ["dataType"] = "text", ["data"] = new string('x', PipelineFixture.FunctionMaxMessageBytes + 1) }, cancellationToken: ct);
        Assert.False(tooBig!.Success);
        Assert.Equal("BadRequest", tooBig.ErrorName);
        Assert.Contains("exceeds the limit", tooBig.ErrorMessage, StringComparison.Ordinal);
        var badEvent = await alice.SendAsync(new JsonObject { ["type"] = "event", ["event"] = "9 bad name", ["dataType"] = "text", ["data"] = "x" }, cancellationToken: ct);
        Assert.Equal("BadRequest", badEvent!.ErrorName);
        var goodEvent = await alice.SendAsync(new JsonObject { ["type"] = "event", ["event"] = "typing", ["dataType"] = "text", ["data"] = "x" }, cancellationToken: ct);
        Assert.True(goodEvent!.Success);

        // Nothing rejected was delivered, and the connection still works.
        var ok = await alice.SendToGroupAsync("g", "still here", cancellationToken: ct);
        Assert.True(ok!.Success);
        Assert.Equal("still here", (string?)(await alice.NextMessageAsync(ct))["data"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task ClientWithoutTheRoleIsForbiddenToSendOrJoin()
    {
        var ct = TestContext.Current.CancellationToken;
        var tokens = Host.Services.GetRequiredService<AccessTokenService>();
        var audience = new Uri(Host.BaseUri, "client/hubs/perm").ToString();
        var token = tokens.Mint(audience, "mallory", [Permissions.JoinLeaveGroup + ".open"], [], TimeSpan.FromMinutes(5));
        var url = new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/perm?access_token={token}");
        await using var mallory = await WebPubSubTestClient.ConnectUrlAsync(url, cancellationToken: ct);

        Assert.True((await mallory.JoinGroupAsync("open", ct))!.Success);
        Assert.Equal("Forbidden", (await mallory.JoinGroupAsync("closed", ct))!.ErrorName);
        Assert.Equal("Forbidden", (await mallory.SendToGroupAsync("open", "hi", cancellationToken: ct))!.ErrorName);
    }

    [Fact(Timeout = Timeout)]
    public async Task TwoWorkersInOneGroupBothOwnPartitionsAndEveryMessageArrivesExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var workers = Host.Services.GetRequiredService<FunctionWorkers>().Workers;
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.NotEmpty(w.AssignedPartitions));
        Assert.Empty(workers[0].AssignedPartitions.Intersect(workers[1].AssignedPartitions));
        var processedBefore = workers.Select(w => w.Processed).ToArray();

        await using var sender = await Host.ConnectAsync("spread", "sender", ct);
        await using var reader = await Host.ConnectAsync("spread", "reader", ct);
        const int rooms = 24;
        const int perRoom = 10;
        for (var r = 0; r < rooms; r++)
        {
            await reader.JoinGroupAsync($"room-{r}", ct);
        }

        var acks = new List<Task<AckFrame>>();
        for (var i = 0; i < perRoom; i++)
        {
            for (var r = 0; r < rooms; r++)
            {
                acks.Add(await sender.SendWithoutWaitingAsync(Send($"room-{r}", new JsonObject { ["r"] = r, ["i"] = i }), ct));
            }
        }

        Assert.All(await Task.WhenAll(acks), a => Assert.True(a.Success, a.ErrorMessage));
        var seen = new HashSet<(int Room, int Index)>();
        var nextPerRoom = new int[rooms];
        for (var n = 0; n < rooms * perRoom; n++)
        {
            var message = await reader.NextMessageAsync(ct);
            var room = (int)message["data"]!["r"]!;
            var index = (int)message["data"]!["i"]!;
            Assert.True(seen.Add((room, index)), $"duplicate delivery of {room}/{index}");
            Assert.Equal(nextPerRoom[room]++, index); // per-room order
        }

        await sender.JoinGroupAsync("fence", ct);
        await reader.JoinGroupAsync("fence", ct);
        await sender.SendToGroupAsync("fence", "end", cancellationToken: ct);
        Assert.Equal("end", (string?)(await reader.NextMessageAsync(ct))["data"]);
        Assert.False(reader.TryTakeMessage(out _));

        // Both workers did part of the work.
        Assert.All(workers.Select((w, i) => w.Processed - processedBefore[i]), processed => Assert.True(processed > 0));
    }

    [Fact(Timeout = Timeout)]
    public async Task PingIsAnsweredWithPong()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("ping", "alice", ct);
        var pong = await alice.PingAsync(ct);
        Assert.Equal("pong", (string?)pong["type"]);
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectedFrameCarriesConnectionAndUserId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("hello", "alice", ct);
        var connected = await alice.Connected;
        Assert.Equal("alice", (string?)connected["userId"]);
        Assert.False(string.IsNullOrEmpty((string?)connected["connectionId"]));
    }

    [Fact(Timeout = Timeout)]
    public async Task ConnectionWithoutValidTokenIsRefusedWith401()
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("json.webpubsub.azure.v1");
        socket.Options.CollectHttpResponseDetails = true;
        var url = new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/chat?access_token=not-a-token");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, ct).WaitAsync(WebPubSubTestClient.DefaultTimeout, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact(Timeout = Timeout)]
    public async Task MalformedJsonClosesTheConnectionWith1007()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var alice = await Host.ConnectAsync("malformed", "alice", ct);
        await alice.SendRawAsync("{not json", ct);
        var (status, _) = await alice.WaitForCloseAsync(ct);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
    }

    [Fact(Timeout = Timeout)]
    public async Task ChatPageAndNegotiateAreServed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = WebPubSubTestClient.DefaultTimeout };
        var page = await http.GetStringAsync("/", ct);
        Assert.Contains("json.webpubsub.azure.v1", page, StringComparison.Ordinal);
        var negotiate = JsonNode.Parse(await http.GetStringAsync("/negotiate?hub=chat&userId=u1", ct))!;
        Assert.StartsWith($"ws://{Host.BaseUri.Authority}/client/hubs/chat?access_token=", (string?)negotiate["url"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/negotiate?hub=9bad", ct)).StatusCode);
        Assert.Equal("ready", await http.GetStringAsync("/readyz", ct));
    }

    private static JsonObject Send(string group, JsonNode data) =>
        new() { ["type"] = "sendToGroup", ["group"] = group, ["dataType"] = "json", ["data"] = data };
}
