using System.Net.WebSockets;
using System.Text;
using BrokerChat.Client.Tests.Fakes;

namespace BrokerChat.Client.Tests;

public sealed class ConnectionAndAckTests
{
    [Fact(Timeout = 30_000)]
    public async Task StartOffersTheReliableJsonSubprotocolAndRaisesConnectedWithTheServersIds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var client = new BrokerChatClient(server.ClientUrl());
        var events = new ClientEvents(client);

        await client.StartAsync(ct).Within();
        Assert.Equal(BrokerChatClientState.Connected, client.State);
        var connection = await server.NextConnectionAsync(ct);
        await connection.SendConnectedAsync("conn-1", "user-1", "token-a", ct);
        var connected = await events.NextConnectedAsync();

        Assert.Equal("json.reliable.webpubsub.azure.v1", connection.Subprotocol);
        Assert.Equal("token-1", connection.Query("access_token"));
        Assert.Equal(("conn-1", "user-1"), (connected.ConnectionId, connected.UserId));
        Assert.Equal(("conn-1", "user-1"), (client.ConnectionId, client.UserId));
    }

    [Fact(Timeout = 30_000)]
    public async Task JoinAndSendWaitForTheirAcksAndNumberAckIdsFromOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        var client = harness.Client;
        var connection = harness.Connection;

        var join = client.JoinGroupAsync("room", cancellationToken: ct);
        var joinFrame = await connection.NextJsonAsync("joinGroup", ct);
        Assert.Equal("""{"type":"joinGroup","group":"room","ackId":1}""", joinFrame.ToJsonString());
        Assert.False(join.IsCompleted);
        await connection.SendAckAsync(1, ct);
        Assert.Equal(new WebPubSubResult(1, false), await join.Within());

        var send = client.SendToGroupAsync("room", """{"a":1}"""u8.ToArray(), WebPubSubDataType.Json, noEcho: true, cancellationToken: ct);
        var sendFrame = await connection.NextJsonAsync("sendToGroup", ct);
        Assert.Equal(2UL, (ulong)sendFrame["ackId"]!);
        Assert.Equal("json", (string?)sendFrame["dataType"]);
        Assert.Equal("""{"a":1}""", sendFrame["data"]!.ToJsonString());
        Assert.True((bool)sendFrame["noEcho"]!);
        await connection.SendAckAsync(2, ct);
        Assert.Equal(new WebPubSubResult(2, false), await send.Within());

        var ev = client.SendEventAsync("typing", "AQI="u8.ToArray(), WebPubSubDataType.Text, cancellationToken: ct);
        var eventFrame = await connection.NextJsonAsync("event", ct);
        Assert.Equal(("typing", "text", "AQI=", 3UL), ((string?)eventFrame["event"], (string?)eventFrame["dataType"], (string?)eventFrame["data"], (ulong)eventFrame["ackId"]!));
        await connection.SendAckAsync(3, ct);
        await ev.Within();
    }

    [Fact(Timeout = 30_000)]
    public async Task FireAndForgetSendCarriesNoAckIdAndReturnsOnceWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var result = await harness.Client.SendToGroupAsync("room", new byte[] { 1, 2, 3 }, WebPubSubDataType.Binary, fireAndForget: true, cancellationToken: ct).Within();

        var frame = await harness.Connection.NextJsonAsync("sendToGroup", ct);
        Assert.Null(result.AckId);
        Assert.False(frame.ContainsKey("ackId"));
        Assert.Equal("AQID", (string?)frame["data"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task AckErrorThrowsSendMessageFailedExceptionWithTheErrorNameAndMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var join = harness.Client.JoinGroupAsync("secret", cancellationToken: ct);
        var frame = await harness.Connection.NextJsonAsync("joinGroup", ct);
        await harness.Connection.SendAckAsync((ulong)frame["ackId"]!, ct, "Forbidden", "No permission to join secret.");

        var error = await Assert.ThrowsAsync<SendMessageFailedException>(() => join.Within());
        Assert.Equal(("Forbidden", "No permission to join secret.", 1UL), (error.ErrorName, error.Message, error.AckId));
    }

    [Fact(Timeout = 30_000)]
    public async Task DuplicateAckErrorCountsAsSuccessAndIsReportedAsDuplicated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var send = harness.Client.SendToGroupAsync("room", "hi"u8.ToArray(), WebPubSubDataType.Text, ackId: 42, cancellationToken: ct);
        var frame = await harness.Connection.NextJsonAsync("sendToGroup", ct);
        Assert.Equal(42UL, (ulong)frame["ackId"]!);
        await harness.Connection.SendAckAsync(42, ct, "Duplicate", "Message with ack-id: 42 has been processed");

        Assert.Equal(new WebPubSubResult(42, IsDuplicated: true), await send.Within());
    }

    [Fact(Timeout = 30_000)]
    public async Task GroupAndServerMessagesArriveInOrderAndUnknownFramesAreIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        var connection = harness.Connection;

        await connection.SendJsonAsync("""{"type":"somethingNew","x":1}""", ct);
        await connection.SendJsonAsync("""{"type":"message","from":"group","group":"room","fromUserId":"u2","dataType":"json","data":{"a":[1,2]},"sequenceId":1}""", ct);
        await connection.SendJsonAsync("""{"type":"message","from":"server","dataType":"binary","data":"AQID","sequenceId":2}""", ct);
        await connection.SendJsonAsync("""{"type":"message","from":"server","dataType":"nonsense","data":"x","sequenceId":3}""", ct);
        await connection.SendJsonAsync("""{"type":"message","from":"server","dataType":"text","data":"last","sequenceId":4,"extra":true}""", ct);

        var group = await harness.Client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal((BrokerChatMessageSource.Group, "room", "u2", WebPubSubDataType.Json, """{"a":[1,2]}""", 1UL), (group.Source, group.Group, group.FromUserId, group.DataType, group.GetText(), group.SequenceId));
        var binary = await harness.Client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal((BrokerChatMessageSource.Server, WebPubSubDataType.Binary), (binary.Source, binary.DataType));
        Assert.Equal(new byte[] { 1, 2, 3 }, binary.Data.ToArray());
        var text = await harness.Client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal(("last", 4UL), (text.GetText(), text.SequenceId));
    }

    [Fact(Timeout = 30_000)]
    public async Task StopClosesWithNormalClosureRaisesDisconnectedThenStoppedAndDoesNotRecover()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        var connection = harness.Connection;
        await connection.SendJsonAsync("""{"type":"system","event":"disconnected","message":"going away"}""", ct);
        await connection.SendGroupTextAsync("room", "after", 1, ct);
        await harness.Client.Messages.ReadAsync(ct).AsTask().Within(); // frames are handled in order: the reason is stored

        await harness.Client.StopAsync(ct).Within();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await connection.Closed.Within());
        var disconnected = await harness.Events.NextDisconnectedAsync();
        Assert.Equal(("conn-1", "going away"), (disconnected.ConnectionId, disconnected.Message));
        await harness.Events.NextStoppedAsync();
        Assert.Equal(BrokerChatClientState.Stopped, harness.Client.State);
        Assert.Equal(1, server.ConnectionCount);
        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Client.SendEventAsync("e", Encoding.UTF8.GetBytes("x"), WebPubSubDataType.Text, cancellationToken: ct).Within());
    }
}
