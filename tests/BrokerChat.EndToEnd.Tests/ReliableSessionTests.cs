using System.Text.Json.Nodes;
using BrokerChat.Connector.Auth;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Names;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// <c>json.reliable.webpubsub.azure.v1</c>: sequence ids, <c>sequenceAck</c>, sessions kept across dropped connections,
/// and sessions resumed on another connector from the reconnection token and the rooms' histories. A second
/// connector joins the shared fixture's Kafka where a test needs two.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReliableSessionTests(PipelineFixture fixture)
{
    [Fact(Timeout = 60_000)]
    public async Task MessagesAreNumberedFromOneAndADroppedConnectionResumesWithEverythingUnacknowledged()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "reliable1";
        var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Host.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        Assert.False(string.IsNullOrEmpty(client.ReconnectionToken));
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        await SecondConnector.SendAsync(sender, "room", 1, 5, ct);

        var first = await client.ReadMessagesAsync(5, ct);
        Assert.Equal([1, 2, 3, 4, 5], first.Select(m => (int)m.SequenceId));
        Assert.Equal([1, 2, 3, 4, 5], first.Select(m => m.N));
        await client.AcknowledgeAsync(2, ct);

        client.Abort();
        await SecondConnector.SendAsync(sender, "room", 6, 7, ct); // while the client is away
        var resumed = await client.ResumeAsync(fixture.Host.ClientUrl(hub, "rita"), ct);

        // Everything after the acknowledged 2 comes again, in order and with the same numbers, then what is new.
        var replay = await resumed.ReadMessagesAsync(5, ct);
        Assert.Equal([3, 4, 5, 6, 7], replay.Select(m => (int)m.SequenceId));
        Assert.Equal([3, 4, 5, 6, 7], replay.Select(m => m.N));
        Assert.Equal(client.ConnectionId, resumed.ConnectionId);
        await SecondConnector.SendAsync(sender, "room", 8, 8, ct);
        Assert.Equal((8, 8), (await resumed.ReadMessagesAsync(1, ct)).Select(m => ((int)m.SequenceId, m.N)).Single());
        await resumed.DisposeAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task RecoveryWithAForgedTokenIsAcceptedThenClosedWith1008()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = new Uri(fixture.Host.ClientUrl("reliable2", "rita") + "&awps_connection_id=abc&awps_reconnection_token=forged.token");
        await using var socket = await RawWebSocket.ConnectAsync(url, ct, WebPubSubSubprotocols.JsonReliable);
        Assert.Equal(101, socket.Status);
        var close = await socket.ReadUntilAsync(f => f.Opcode == 8, ct);
        Assert.Equal(1008, close!.CloseCode);
    }

    [Fact(Timeout = 120_000)]
    public async Task SessionResumesOnAnotherConnectorAfterItsConnectorDiedWithEveryMissedMessageInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "reliable3";
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        var other = await SecondConnector.StartAsync(fixture.Host);
        var client = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await client.JoinAndTakeHistoryAsync("lobby", cancellationToken: ct); // a second room, very likely on another partition
        await SecondConnector.SendMixedAsync(sender, 1, 10, ct);
        var seen = await client.ReadMessagesAsync(10, ct);
        await client.AcknowledgeAsync(seen[3].SequenceId, ct);

        // The client's connector dies without a word (the client only sees its socket go), and messages keep flowing.
        client.Abort();
        await other.DisposeAsync();
        await SecondConnector.SendMixedAsync(sender, 11, 20, ct);

        var resumed = await client.ResumeAsync(fixture.Host.ClientUrl(hub, "rita"), ct);
        ReliableStreams.AssertExactlyOnceInOrder(await ReliableStreams.ReadAllAsync(resumed, seen, 20, ct), 20);
        await resumed.DisposeAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task SessionResumesOnAnotherConnectorAfterItsConnectorShutDown()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "reliable4";
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        var other = await SecondConnector.StartAsync(fixture.Host);
        var client = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await client.JoinAndTakeHistoryAsync("lobby", cancellationToken: ct);
        await SecondConnector.SendMixedAsync(sender, 1, 6, ct);
        var seen = await client.ReadMessagesAsync(6, ct);

        var stopping = other.DisposeAsync().AsTask();
        var close = await client.WaitForCloseAsync(ct);
        Assert.Equal(1012, (int?)close.Status);
        await stopping;
        await SecondConnector.SendMixedAsync(sender, 7, 12, ct);

        var resumed = await client.ResumeAsync(fixture.Host.ClientUrl(hub, "rita"), ct);
        ReliableStreams.AssertExactlyOnceInOrder(await ReliableStreams.ReadAllAsync(resumed, seen, 12, ct), 12);
        await resumed.DisposeAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task GapOlderThanTheRoomHistoryIsRefusedWith1008AndAReason()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "reliable5";
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        await using var other = await SecondConnector.StartAsync(fixture.Host, new() { Connector = { RoomHistoryMessages = 3 } });
        var client = await WebPubSubTestClient.ConnectUrlAsync(fixture.Host.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await SecondConnector.SendAsync(sender, "room", 1, 2, ct);
        await client.ReadMessagesAsync(2, ct);

        client.Abort();
        await SecondConnector.SendAsync(sender, "room", 3, 10, ct); // more than the other connector keeps of the room

        var refused = await client.ResumeAsync(other.ClientUrl(hub, "rita"), ct);
        var disconnected = await refused.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct);
        Assert.Contains("too old", (string?)disconnected["message"], StringComparison.Ordinal);
        Assert.Equal(1008, (int?)(await refused.WaitForCloseAsync(ct)).Status);
    }

    [Fact(Timeout = 120_000)]
    public async Task ClientThatDoesNotAcknowledgeLosesItsSessionWith1008WhenItsBufferIsFull()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "reliable6";
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        await using var other = await SecondConnector.StartAsync(fixture.Host, new() { Connector = { ReliableBufferMessages = 5 } });
        var client = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);
        await client.JoinAndTakeHistoryAsync("room", cancellationToken: ct);
        await SecondConnector.SendAsync(sender, "room", 1, 6, ct);

        var disconnected = await client.WaitForFrameAsync(f => (string?)f["event"] == "disconnected", ct);
        Assert.Contains("acknowledge", (string?)disconnected["message"], StringComparison.Ordinal);
        Assert.Equal(1008, (int?)(await client.WaitForCloseAsync(ct)).Status);
        var retry = await client.ResumeAsync(other.ClientUrl(hub, "rita"), ct);
        Assert.Equal(1008, (int?)(await retry.WaitForCloseAsync(ct)).Status); // the session is gone
    }

    [Fact(Timeout = 180_000)]
    public async Task ClientThatSendsAndReceivesManyMessagesInItsRoomGetsOneConnectedFrameAndStillResumesExactlyElsewhere()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "reliable7";
        const int count = 300;
        await using var other = await SecondConnector.StartAsync(fixture.Host);
        var tokens = fixture.Host.Services.GetRequiredService<AccessTokenService>();
        var token = tokens.Mint(new Uri(fixture.Host.BaseUri, $"client/hubs/{hub}").ToString(), "rita", [Permissions.SendToGroup], ["room"], TimeSpan.FromHours(1));
        var url = new Uri($"ws://{fixture.Host.BaseUri.Authority}/client/hubs/{hub}?access_token={token}");
        var client = await WebPubSubTestClient.ConnectUrlAsync(url, new() { Reliable = true }, ct);
        for (var n = 1; n <= count; n++)
        {
            Assert.True((await client.SendToGroupAsync("room", new JsonObject { ["n"] = n }, cancellationToken: ct))!.Success);
        }

        var seen = await client.ReadMessagesAsync(count, ct);
        await client.AcknowledgeAsync(seen[99].SequenceId, ct);
        await client.PingAsync(ct); // frames are handled in order: the pong comes after anything queued before it
        Assert.Single(client.Frames, f => (string?)f["event"] == "connected"); // its only token is the one it connected with

        // With that one token the session resumes on another connector: the client drops what it already has, in
        // order, and misses nothing that came while it was away.
        client.Abort();
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        await SecondConnector.SendAsync(sender, "room", count + 1, count + 20, ct);
        var resumed = await client.ResumeAsync(other.ClientUrl(hub, "rita"), ct);
        ReliableStreams.AssertExactlyOnceInOrder(await ReliableStreams.ReadAllAsync(resumed, seen, count + 20, ct), count + 20);
        await resumed.DisposeAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task ConnectorComputesEveryRoomsPartitionAsTheProducersPartitionerPlacesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "partitions";
        var groups = Enumerable.Range(0, 24).Select(i => $"room-{i}").ToList();
        await using var sender = await fixture.Host.ConnectAsync(hub, "sam", ct);
        foreach (var group in groups)
        {
            Assert.True((await sender.SendToGroupAsync(group, new JsonObject { ["n"] = 1 }, cancellationToken: ct))!.Success);
        }

        var outbound = fixture.Host.Services.GetRequiredService<Connector.History.OutboundState>();
        lock (outbound.Gate)
        {
            var placed = groups.Select(g => outbound.History.TryGetPartition(hub, g, out var p) ? p : -1).ToList();
            Assert.Equal(placed, groups.Select(g => outbound.PartitionOf(hub, g)));
            Assert.True(placed.Distinct().Count() > 1);
        }
    }
}
