using System.Net.WebSockets;
using BrokerChat.Client.Tests.Fakes;

namespace BrokerChat.Client.Tests;

public sealed class RecoveryTests
{
    [Fact(Timeout = 30_000)]
    public async Task AbruptDropRecoversOnTheOriginalUrlWithTheConnectionIdAndToken()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, reconnectionToken: "tok/1+2=");

        harness.Connection.Abort();
        var recovery = await server.NextConnectionAsync(ct);

        Assert.Equal("/client/hubs/chat", recovery.RequestUri.AbsolutePath);
        Assert.Equal("token-1", recovery.Query("access_token"));
        Assert.Equal("conn-1", recovery.Query("awps_connection_id"));
        Assert.Equal("tok/1+2=", recovery.Query("awps_reconnection_token"));
        Assert.Contains("awps_reconnection_token=tok%2F1%2B2%3D", recovery.RequestUri.Query, StringComparison.Ordinal);
        Assert.Equal("json.reliable.webpubsub.azure.v1", recovery.Subprotocol);
        await TestTimeouts.UntilAsync(() => harness.Client.State == BrokerChatClientState.Connected);

        // The recovered socket carries on: no Disconnected, no second Connected, no rejoin.
        var send = harness.Client.SendEventAsync("e", "1"u8.ToArray(), WebPubSubDataType.Json, cancellationToken: ct);
        var frame = await recovery.NextJsonAsync("event", ct);
        await recovery.SendAckAsync((ulong)frame["ackId"]!, ct);
        await send.Within();
        Assert.Equal((1, 0), (harness.Events.ConnectedCount, harness.Events.DisconnectedCount));
        Assert.Equal("conn-1", harness.Client.ConnectionId);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConnectedFrameMidStreamRefreshesTheTokenUsedForTheNextRecoveryWithoutRaisingConnectedAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, reconnectionToken: "token-a");
        var join = harness.Client.JoinGroupAsync("room", cancellationToken: ct);
        await harness.Connection.SendAckAsync((ulong)(await harness.Connection.NextJsonAsync("joinGroup", ct))["ackId"]!, ct);
        await join.Within();

        await harness.Connection.SendConnectedAsync("conn-1b", "user-1", "token-b", ct);
        await harness.Connection.SendGroupTextAsync("room", "marker", 1, ct);
        await harness.Client.Messages.ReadAsync(ct).AsTask().Within(); // the refresh was handled before this

        Assert.Equal("conn-1b", harness.Client.ConnectionId);
        harness.Connection.Abort();
        var recovery = await server.NextConnectionAsync(ct);
        Assert.Equal(("conn-1b", "token-b"), (recovery.Query("awps_connection_id"), recovery.Query("awps_reconnection_token")));

        // A connected frame on the recovered socket only refreshes the token too: no event, no rejoin.
        await recovery.SendConnectedAsync("conn-1b", "user-1", "token-c", ct);
        await recovery.SendGroupTextAsync("room", "after", 2, ct);
        await harness.Client.Messages.ReadAsync(ct).AsTask().Within();
        recovery.Abort();
        var second = await server.NextConnectionAsync(ct);
        Assert.Equal("token-c", second.Query("awps_reconnection_token"));
        Assert.Equal(1, harness.Events.ConnectedCount);
        await harness.Client.SendEventAsync("e", "x"u8.ToArray(), WebPubSubDataType.Text, fireAndForget: true, cancellationToken: ct).Within();
        var next = await second.NextJsonAsync("event", ct, f => true);
        Assert.Equal("e", (string?)next["event"]);
        Assert.Equal(0, second.CountReceived("joinGroup")); // no rejoin on a recovered connection
    }

    [Fact(Timeout = 30_000)]
    public async Task RecoveryRefusedWith1008ConnectsAfreshThroughTheProviderAndRejoinsGroups()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        var urls = 0;
        await using var harness = await ClientHarness.ConnectAsync(server, urlProvider: _ => ValueTask.FromResult(server.ClientUrl(token: $"fresh-{Interlocked.Increment(ref urls)}")));
        var join = harness.Client.JoinGroupAsync("room", cancellationToken: ct);
        await harness.Connection.SendAckAsync((ulong)(await harness.Connection.NextJsonAsync("joinGroup", ct))["ackId"]!, ct);
        await join.Within();
        await harness.Connection.SendJsonAsync("""{"type":"system","event":"disconnected","message":"session ended"}""", ct);
        await harness.Connection.SendGroupTextAsync("room", "marker", 1, ct);
        await harness.Client.Messages.ReadAsync(ct).AsTask().Within();

        harness.Connection.Abort();
        var recovery = await server.NextConnectionAsync(ct);
        Assert.Equal("fresh-1", recovery.Query("access_token"));
        Assert.NotNull(recovery.Query("awps_connection_id"));
        await recovery.CloseAsync(WebSocketCloseStatus.PolicyViolation, "Session expired", ct);

        var fresh = await server.NextConnectionAsync(ct);
        Assert.Equal("fresh-2", fresh.Query("access_token"));
        Assert.Null(fresh.Query("awps_connection_id"));
        var disconnected = await harness.Events.NextDisconnectedAsync();
        Assert.Equal(("conn-1", "session ended"), (disconnected.ConnectionId, disconnected.Message));

        await fresh.SendConnectedAsync("conn-2", "user-1", "token-z", ct);
        var rejoin = await fresh.NextJsonAsync("joinGroup", ct);
        Assert.Equal("room", (string?)rejoin["group"]);
        Assert.Equal(2UL, (ulong)rejoin["ackId"]!); // a new ackId: ackIds are never reused for new requests
        Assert.Equal(1, harness.Events.ConnectedCount); // Connected waits for the rejoin's ack
        await fresh.SendAckAsync(2, ct);
        var connected = await harness.Events.NextConnectedAsync();
        Assert.Equal("conn-2", connected.ConnectionId);
        Assert.Equal(2, urls);
    }

    [Fact(Timeout = 30_000)]
    public async Task FreshConnectionStartsTheSequenceAgainSoItsFirstMessagesAreDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        await harness.Connection.SendGroupTextAsync("room", "one", 5, ct);
        await harness.Client.Messages.ReadAsync(ct).AsTask().Within();

        await harness.Connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "bye", ct);
        var fresh = await server.NextConnectionAsync(ct);
        await fresh.SendConnectedAsync("conn-2", "user-1", "token-b", ct);
        await fresh.SendGroupTextAsync("room", "again", 1, ct);

        var message = await harness.Client.Messages.ReadAsync(ct).AsTask().Within();
        Assert.Equal(("again", 1UL), (message.GetText(), message.SequenceId));
    }

    [Fact(Timeout = 30_000)]
    public async Task UnacknowledgedSendIsResentWithTheSameAckIdAfterRecovery()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var send = harness.Client.SendToGroupAsync("room", "hello"u8.ToArray(), WebPubSubDataType.Text, cancellationToken: ct);
        var fireAndForget = harness.Client.SendToGroupAsync("room", "lost"u8.ToArray(), WebPubSubDataType.Text, fireAndForget: true, cancellationToken: ct);
        var first = await harness.Connection.NextJsonAsync("sendToGroup", ct, f => f.ContainsKey("ackId"));
        await fireAndForget.Within();
        await harness.Connection.NextJsonAsync("sendToGroup", ct, f => !f.ContainsKey("ackId"));
        harness.Connection.Abort();

        var recovery = await server.NextConnectionAsync(ct);
        var resent = await recovery.NextFrameAsync(ct); // before anything else on the new socket
        Assert.Equal(first.ToJsonString(), resent.Json.ToJsonString());
        Assert.False(send.IsCompleted);
        await recovery.SendAckAsync((ulong)first["ackId"]!, ct, "Duplicate", "Already processed");

        var result = await send.Within();
        Assert.Equal(((ulong?)(ulong)first["ackId"]!, true), (result.AckId, result.IsDuplicated));
    }

    [Fact(Timeout = 30_000)]
    public async Task RequestFailsAfterItWasResentMaxResendAttemptsTimes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { MaxResendAttempts = 1 });

        var send = harness.Client.SendEventAsync("e", "1"u8.ToArray(), WebPubSubDataType.Json, cancellationToken: ct);
        await harness.Connection.NextJsonAsync("event", ct);
        harness.Connection.Abort();
        var recovery = await server.NextConnectionAsync(ct);
        await recovery.NextJsonAsync("event", ct);
        recovery.Abort();

        var error = await Assert.ThrowsAsync<SendMessageFailedException>(() => send.Within());
        Assert.Null(error.ErrorName);
        Assert.Equal(1UL, error.AckId);
    }

    [Fact(Timeout = 30_000)]
    public async Task NonReliableProtocolNeverRecoversButReconnectsAfresh()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { Protocol = BrokerChatProtocol.Json });
        Assert.Equal("json.webpubsub.azure.v1", harness.Connection.Subprotocol);

        harness.Connection.Abort();
        var fresh = await server.NextConnectionAsync(ct);

        Assert.Null(fresh.Query("awps_connection_id"));
        await harness.Events.NextDisconnectedAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task WithoutAutoReconnectALostConnectionStopsTheClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { AutoReconnect = false });

        await harness.Connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "bye", ct);

        await harness.Events.NextDisconnectedAsync();
        await harness.Events.NextStoppedAsync();
        Assert.Equal(BrokerChatClientState.Stopped, harness.Client.State);
    }

    [Fact]
    public void RecoveryUrlAppendsEscapedParametersAndKeepsTheOriginalQuery()
    {
        var uri = BrokerChatClient.RecoveryUri(new Uri("ws://host:5000/client/hubs/chat?access_token=a.b.c"), "conn 1", "t+/=");

        Assert.Equal("ws://host:5000/client/hubs/chat?access_token=a.b.c&awps_connection_id=conn%201&awps_reconnection_token=t%2B%2F%3D", uri.AbsoluteUri);
    }
}
