using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Hubs;
using BrokerChat.Functions.Hubs.Testing;
using ChatBot;

namespace BrokerChat.Examples.Tests;

/// <summary>The example bot's handlers, driven in memory by the test host: no Kafka, no sockets.</summary>
public sealed class ChatBotHubTests
{
    [Fact(Timeout = 10_000)]
    public async Task ABannedUserIsRefusedWith401AndEveryoneElseJoinsTheLobby()
    {
        await using var host = HubTestHost.Create<BotHub>();
        var banned = await host.ConnectAsync("banned", cancellationToken: TestContext.Current.CancellationToken);
        var alice = await host.ConnectAsync("alice", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((false, 401), (banned.Accepted, banned.Status));
        Assert.True(alice.Accepted);
        Assert.Equal([BotHub.Lobby], alice.Groups);
    }

    [Fact(Timeout = 10_000)]
    public async Task AConnectionIsWelcomedByItsUserId()
    {
        await using var host = HubTestHost.Create<BotHub>();
        var result = await host.ConnectedAsync("alice", connectionId: "c1", cancellationToken: TestContext.Current.CancellationToken);
        var welcome = Assert.Single(result.Actions);
        Assert.Equal((HubActionKind.SendToConnection, "c1"), (welcome.Kind, welcome.ConnectionId));
        Assert.Equal(MessageData.Json("""{"welcome":"alice"}"""), welcome.Data);
    }

    [Fact(Timeout = 10_000)]
    public async Task EchoAnswersWithTheSameDataAndDataType()
    {
        await using var host = HubTestHost.Create<BotHub>();
        var ct = TestContext.Current.CancellationToken;
        foreach (var data in new[] { MessageData.Text("hi"), MessageData.Json("""{"n":1}"""), MessageData.Binary(new byte[] { 0, 255 }) })
        {
            var result = await host.InvokeAsync("echo", data, cancellationToken: ct);
            Assert.Equal(data, result.Answer);
        }
    }

    [Fact(Timeout = 10_000)]
    public async Task AShoutIsSentUpperCasedToTheLobby()
    {
        await using var host = HubTestHost.Create<BotHub>();
        var result = await host.SendEventAsync("shout", MessageData.Text("hello there"), "alice", cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.Acknowledged);
        var shout = Assert.Single(result.Actions);
        Assert.Equal((HubActionKind.SendToGroup, BotHub.Lobby, MessageData.Text("HELLO THERE")), (shout.Kind, shout.Group, shout.Data));
        Assert.Equal(DeliveryTarget.Group, result.Deliveries[^1].Target);
    }
}
