using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector;
using BrokerChat.Connector.Auth;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using BrokerChat.Contracts.Topics;
using BrokerChat.Contracts.WebPubSub;
using BrokerChat.Kafka;
using BrokerChat.Testing;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// What the connector puts on the inbound topic about a connection besides its requests (that it opened, that it
/// ended) and for its invocations, as the functions read it; and an invocation's answer coming back through the
/// outbound topic, over real sockets and Kafka.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ConnectionEventsTests(PipelineFixture fixture)
{
    private const int Timeout = 60_000;
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = Timeout)]
    public async Task AConnectionsOpeningComesBeforeItsEventsAndItsEndAfterThemKeyedByTheConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        using var inbound = InboundWatcher.FromNow(Host);
        var token = Host.Services.GetRequiredService<AccessTokenService>()
            .Mint(new Uri(Host.BaseUri, "client/hubs/lifecycle").ToString(), "dora", ["webpubsub.joinLeaveGroup"], ["lobby"], TimeSpan.FromHours(1));
        var client = await WebPubSubTestClient.ConnectUrlAsync(new Uri($"ws://{Host.BaseUri.Authority}/client/hubs/lifecycle?access_token={token}"), cancellationToken: ct);
        await client.Connected.WaitAsync(ct);
        await client.SendRawAsync("""{"type":"event","event":"hello","dataType":"text","data":"hi"}""", ct);
        await client.CloseAsync();

        bool Mine(InboundFrame f) => f.ConnectionId == client.ConnectionId && f.Kind != InboundKind.Presence;
        var opened = await inbound.NextRecordAsync(Mine, ct);
        var hello = await inbound.NextRecordAsync(Mine, ct);
        var ended = await inbound.NextRecordAsync(Mine, ct);

        var key = PartitionKeys.Connection("lifecycle", client.ConnectionId);
        var connected = opened.Frame;
        Assert.Equal((InboundKind.Connected, "lifecycle", "dora", WebPubSubSubprotocols.Json), (connected.Kind, connected.Hub, connected.UserId, connected.Subprotocol));
        Assert.Equal(Host.Services.GetRequiredService<ConnectorIdentity>().Id, connected.ConnectorId);
        Assert.Equal(["webpubsub.joinLeaveGroup"], connected.Roles);
        Assert.Equal(["lobby"], connected.Groups!);
        Assert.True(connected.ReceivedAt > 0);
        Assert.Equal((InboundKind.Event, "hello"), (hello.Frame.Kind, hello.Frame.EventName));
        Assert.Equal((InboundKind.Disconnected, "dora", "client_close"), (ended.Frame.Kind, ended.Frame.UserId, ended.Frame.Reason));
        Assert.All([opened, hello, ended], record => Assert.Equal(key, record.Key));
    }

    [Fact(Timeout = Timeout)]
    public async Task AnInvokeIsProducedWithItsInvocationIdAndTheFunctionsAnswerReachesTheCaller()
    {
        var ct = TestContext.Current.CancellationToken;
        using var inbound = InboundWatcher.FromNow(Host);
        await using var caller = await Host.ConnectAsync("invokes", "erin", ct);

        await caller.SendRawAsync("""{"type":"invoke","invocationId":"1","target":"event","event":"echo","dataType":"text","data":"ping"}""", ct);
        var record = await inbound.NextRecordAsync(f => f.ConnectionId == caller.ConnectionId && f.Kind == InboundKind.Invoke, ct);
        var invoke = record.Frame;
        Assert.Equal(("1", "echo", DataType.Text, "ping"), (invoke.InvocationId, invoke.EventName, invoke.DataType, Encoding.UTF8.GetString(invoke.Payload)));
        Assert.Equal(PartitionKeys.Connection("invokes", caller.ConnectionId), record.Key);

        // The functions answer it (no hub serves "invokes", so with NotFound), to the caller on the connector that published it.
        var response = await caller.WaitForFrameAsync(f => (string?)f["type"] == "invokeResponse", ct);
        Assert.Equal(("1", false, "NotFound"), ((string?)response["invocationId"], (bool?)response["success"], (string?)response["error"]!["name"]));
    }

    [Fact(Timeout = Timeout)]
    public async Task ACancelInvocationOfAWaitingInvocationIsProducedWithTheControlHeader()
    {
        var ct = TestContext.Current.CancellationToken;
        using var inbound = InboundWatcher.FromNow(Host);
        await using var caller = await Host.ConnectAsync("invokes", "frank", ct);

        await caller.SendRawAsync("""{"type":"invoke","invocationId":"9","target":"event","event":"slow"}""", ct);
        await caller.SendRawAsync("""{"type":"cancelInvocation","invocationId":"9"}""", ct);
        var invoke = await inbound.NextRecordAsync(f => f.ConnectionId == caller.ConnectionId && f.Kind == InboundKind.Invoke, ct);
        var cancel = await inbound.NextRecordAsync(f => f.ConnectionId == caller.ConnectionId && f.Kind == InboundKind.CancelInvocation, ct);

        Assert.Equal("9", cancel.Frame.InvocationId);
        Assert.Equal(invoke.Key, cancel.Key);
        Assert.True(cancel.Headers.TryGetLastBytes(InboundHeaders.Control, out var control));
        Assert.Equal(InboundHeaders.ControlCancel, Encoding.UTF8.GetString(control));
        Assert.False(invoke.Headers.TryGetLastBytes(InboundHeaders.Control, out _));
        var pong = await caller.PingAsync(ct); // the cancel is not answered, and the connection carries on
        Assert.Equal("pong", (string?)pong["type"]);
        Assert.DoesNotContain(caller.Frames, f => (string?)f["type"] == "invokeResponse");
    }
}
