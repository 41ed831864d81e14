using System.Net.WebSockets;
using System.Text;
using BrokerChat.Client.Tests.Fakes;

namespace BrokerChat.Client.Tests;

public sealed class MessagePackProtocolTests
{
    [Fact(Timeout = 30_000)]
    public async Task EveryMessageShapeRoundTripsAsMapsWithTheJsonFieldNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var client = new BrokerChatClient(server.ClientUrl(), new BrokerChatClientOptions
        {
            Protocol = BrokerChatProtocol.MessagePackReliable,
            SequenceAckInterval = TimeSpan.FromMilliseconds(50),
        });
        var events = new ClientEvents(client);
        await client.StartAsync(ct).Within();
        var connection = await server.NextConnectionAsync(ct);
        Assert.Equal("msgpack.reliable.webpubsub.brokerchat.v1", connection.Subprotocol);

        // connected: any key order, unknown keys (even nested) ignored, nil userId.
        await connection.SendMapAsync(ct, ("connectionId", "conn-m"), ("future", new (string, object?)[] { ("deep", new (string, object?)[] { ("x", 1) }) }), ("event", "connected"), ("userId", null), ("type", "system"), ("reconnectionToken", "tok-m"));
        var connected = await events.NextConnectedAsync();
        Assert.Equal(("conn-m", (string?)null), (connected.ConnectionId, connected.UserId));

        // joinGroup + ack success
        var join = client.JoinGroupAsync("room", cancellationToken: ct);
        var (joinMap, _) = await connection.NextMapAsync("joinGroup", ct);
        MsgPack.AssertMap(joinMap, ("type", "joinGroup"), ("group", "room"), ("ackId", 1UL));
        await connection.SendMapAsync(ct, ("success", true), ("ackId", 1UL), ("type", "ack"));
        Assert.Equal(new WebPubSubResult(1, false), await join.Within());

        // sendToGroup binary: data is a bin; ack error Duplicate (error is a map) counts as success
        var binary = client.SendToGroupAsync("room", new byte[] { 0, 1, 255 }, WebPubSubDataType.Binary, noEcho: true, cancellationToken: ct);
        var (binaryMap, _) = await connection.NextMapAsync("sendToGroup", ct);
        MsgPack.AssertMap(binaryMap, ("type", "sendToGroup"), ("group", "room"), ("ackId", 2UL), ("dataType", "binary"), ("data", new byte[] { 0, 1, 255 }), ("noEcho", true));
        await connection.SendMapAsync(ct, ("type", "ack"), ("ackId", 2UL), ("success", false), ("error", new (string, object?)[] { ("name", "Duplicate"), ("message", "done") }));
        Assert.True((await binary.Within()).IsDuplicated);

        // sendToGroup text: data is a str; other ack errors throw
        var text = client.SendToGroupAsync("room", Encoding.UTF8.GetBytes("héllo"), WebPubSubDataType.Text, cancellationToken: ct);
        var (textMap, _) = await connection.NextMapAsync("sendToGroup", ct);
        MsgPack.AssertMap(textMap, ("type", "sendToGroup"), ("group", "room"), ("ackId", 3UL), ("dataType", "text"), ("data", "héllo"), ("noEcho", false));
        await connection.SendMapAsync(ct, ("type", "ack"), ("ackId", 3UL), ("success", false), ("error", new (string, object?)[] { ("message", "no"), ("name", "Forbidden") }));
        var error = await Assert.ThrowsAsync<SendMessageFailedException>(() => text.Within());
        Assert.Equal(("Forbidden", "no"), (error.ErrorName, error.Message));

        // event with JSON data (a str holding the JSON text), fire-and-forget: no ackId key
        await client.SendEventAsync("moved", """{"x":1}"""u8.ToArray(), WebPubSubDataType.Json, fireAndForget: true, cancellationToken: ct).Within();
        var (eventMap, _) = await connection.NextMapAsync("event", ct);
        MsgPack.AssertMap(eventMap, ("type", "event"), ("event", "moved"), ("dataType", "json"), ("data", """{"x":1}"""));

        // server → client messages: bin, str and JSON-in-str data; unknown types ignored
        await connection.SendMapAsync(ct, ("type", "future"), ("sequenceId", 99UL));
        await connection.SendMapAsync(ct, ("sequenceId", 1UL), ("data", new byte[] { 9, 8 }), ("dataType", "binary"), ("group", "room"), ("fromUserId", "u2"), ("from", "group"), ("type", "message"));
        await connection.SendMapAsync(ct, ("type", "message"), ("from", "server"), ("dataType", "text"), ("data", "plain"), ("sequenceId", 2UL));
        await connection.SendMapAsync(ct, ("type", "message"), ("from", "server"), ("dataType", "json"), ("data", """{"k":[true]}"""), ("sequenceId", 3UL), ("metadata", new (string, object?)[] { ("a", "b") }));
        var first = await client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal((BrokerChatMessageSource.Group, "room", "u2", WebPubSubDataType.Binary, 1UL), (first.Source, first.Group, first.FromUserId, first.DataType, first.SequenceId));
        Assert.Equal(new byte[] { 9, 8 }, first.Data.ToArray());
        var second = await client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal((WebPubSubDataType.Text, "plain"), (second.DataType, second.GetText()));
        var third = await client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal((WebPubSubDataType.Json, """{"k":[true]}"""), (third.DataType, third.GetText()));

        // sequenceAck: up to 3, possibly after acks of 1 and 2 if the messages arrived apart
        var (ackMap, _) = await connection.NextMapAsync("sequenceAck", ct);
        while (ackMap["sequenceId"] is ulong acked && acked < 3)
        {
            (ackMap, _) = await connection.NextMapAsync("sequenceAck", ct);
        }

        MsgPack.AssertMap(ackMap, ("type", "sequenceAck"), ("sequenceId", 3UL));

        // disconnected + 1008 close: no recovery, Disconnected carries the reason
        await connection.SendMapAsync(ct, ("type", "system"), ("event", "disconnected"), ("message", "bye"));
        await connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "bye", ct);
        var disconnected = await events.NextDisconnectedAsync();
        Assert.Equal(("conn-m", "bye"), (disconnected.ConnectionId, disconnected.Message));
        var fresh = await server.NextConnectionAsync(ct);
        Assert.Null(fresh.Query("awps_connection_id"));
    }

    [Fact(Timeout = 30_000)]
    public async Task PingIsAMapWithOnlyTheType()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var client = new BrokerChatClient(server.ClientUrl(), new BrokerChatClientOptions
        {
            Protocol = BrokerChatProtocol.MessagePack,
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
        });
        await client.StartAsync(ct).Within();
        var connection = await server.NextConnectionAsync(ct);
        Assert.Equal("msgpack.webpubsub.brokerchat.v1", connection.Subprotocol);

        var (ping, payload) = await connection.NextMapAsync("ping", ct);

        Assert.Single(ping);
        Assert.Equal(Convert.FromHexString("81A474797065A470696E67"), payload); // {"type":"ping"}
    }

    [Fact(Timeout = 30_000)]
    public async Task MalformedAndTextFramesAreIgnoredOnTheBinaryProtocol()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var client = new BrokerChatClient(server.ClientUrl(), new BrokerChatClientOptions { Protocol = BrokerChatProtocol.MessagePack });
        await client.StartAsync(ct).Within();
        var connection = await server.NextConnectionAsync(ct);

        await connection.SendJsonAsync("""{"type":"message","from":"server","dataType":"text","data":"json on msgpack"}""", ct);
        await connection.SendAsync([0x81, 0xA4], WebSocketMessageType.Binary, ct); // truncated map
        await connection.SendAsync(MsgPack.Nested("message", 1000), WebSocketMessageType.Binary, ct); // deeper than the untrusted-data limit
        await connection.SendMapAsync(ct, ("type", "message"), ("from", "server"), ("dataType", "text"), ("data", "fine"));

        var message = await client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal("fine", message.GetText());
        Assert.Equal(BrokerChatClientState.Connected, client.State);
    }
}
