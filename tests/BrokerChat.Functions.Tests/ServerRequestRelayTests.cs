using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests;

public sealed class ServerRequestRelayTests
{
    private readonly ChatFunction _function = new(
        new FrameValidator(Options.Create(new FunctionsOptions { MaxMessageBytes = 16 })),
        new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void RestSendsBecomeMessagesForTheirTargetWithoutRolesOrSender()
    {
        var toAll = Assert.Single(_function.Handle(Frame(InboundKind.SendToAll, f => { f.ExcludedConnectionIds = ["c9"]; f.Filter = "userId ne 'x'"; }), new InboundPosition(1, 5)));
        var toUser = Assert.Single(_function.Handle(Frame(InboundKind.SendToUser, f => f.UserId = "bob"), default));
        var toConnection = Assert.Single(_function.Handle(Frame(InboundKind.SendToConnection, f => f.ConnectionId = "c1"), default));
        var toGroup = Assert.Single(_function.Handle(Frame(InboundKind.ServerSendToGroup, f => f.Group = "room"), default));

        Assert.Equal((DeliveryTarget.All, "1-5", "userId ne 'x'"), (toAll.Target, toAll.MessageId, toAll.Filter));
        Assert.Equal(["c9"], toAll.ExcludedConnectionIds!);
        Assert.Equal((DeliveryTarget.User, "bob"), (toUser.Target, toUser.UserId));
        Assert.Equal((DeliveryTarget.Connection, "c1"), (toConnection.Target, toConnection.ConnectionId));
        Assert.Equal((DeliveryTarget.Group, "room"), (toGroup.Target, toGroup.Group));
        Assert.All(new[] { toAll, toUser, toConnection, toGroup }, d =>
        {
            Assert.True(d.HasMessage);
            Assert.Null(d.FromUserId);
            Assert.Null(d.Ack);
            Assert.Equal(DeliveryCommand.None, d.Command);
            Assert.Equal("hi"u8.ToArray(), d.Payload);
        });
    }

    [Fact]
    public void RestGroupChangesAndClosesBecomeCommandsWithoutAMessage()
    {
        var add = Assert.Single(_function.Handle(Frame(InboundKind.AddToGroup, f => { f.Group = "room"; f.Target = DeliveryTarget.Connection; f.ConnectionId = "c1"; }), default));
        var leaveAll = Assert.Single(_function.Handle(Frame(InboundKind.RemoveFromGroup, f => { f.Target = DeliveryTarget.User; f.UserId = "bob"; }), default));
        var close = Assert.Single(_function.Handle(Frame(InboundKind.CloseConnections, f => { f.Target = DeliveryTarget.Group; f.Group = "room"; f.Reason = "bye"; }), default));

        Assert.Equal((DeliveryCommand.AddToGroup, DeliveryTarget.Connection, "c1", "room"), (add.Command, add.Target, add.ConnectionId, add.Group));
        Assert.Equal((DeliveryCommand.RemoveFromGroup, DeliveryTarget.User, "bob", (string?)null), (leaveAll.Command, leaveAll.Target, leaveAll.UserId, leaveAll.Group));
        Assert.Equal((DeliveryCommand.Close, DeliveryTarget.Group, "room", "bye"), (close.Command, close.Target, close.Group, close.Reason));
        Assert.All(new[] { add, leaveAll, close }, d => Assert.False(d.HasMessage));
    }

    [Fact]
    public void ASendsTimeToLiveBecomesItsExpiryCountedFromWhenTheConnectorTookTheCall()
    {
        var expiring = Assert.Single(_function.Handle(Frame(InboundKind.ServerSendToGroup, f => { f.Group = "room"; f.ReceivedAt = 1_000_000; f.MessageTtlSeconds = 30; }), default));
        var lasting = Assert.Single(_function.Handle(Frame(InboundKind.SendToUser, f => { f.UserId = "bob"; f.ReceivedAt = 1_000_000; }), default));

        Assert.Equal(1_030_000, expiring.ExpiresAt);
        Assert.Equal(0, lasting.ExpiresAt);
    }

    [Fact]
    public void MalformedRestRequestsAreDroppedRatherThanDelivered()
    {
        Assert.Empty(_function.Handle(Frame(InboundKind.SendToAll, f => f.MessageTtlSeconds = ServerRequestRelay.MaxMessageTtlSeconds + 1), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.SendToAll, f => f.Payload = new byte[17]), default)); // over the size limit
        Assert.Empty(_function.Handle(Frame(InboundKind.SendToAll, f => { f.DataType = DataType.Json; f.Payload = "{"u8.ToArray(); }), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.SendToUser, f => f.UserId = null), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.ServerSendToGroup, f => f.Group = "\u0001"), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.AddToGroup, f => { f.Group = null; f.Target = DeliveryTarget.All; }), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.AddToGroup, f => { f.Group = "g"; f.Target = DeliveryTarget.Group; }), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.CloseConnections, f => { f.Target = DeliveryTarget.Connection; f.ConnectionId = ""; }), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.SendToAll, f => f.Hub = "1bad"), default));
        Assert.Empty(_function.Handle(Frame(InboundKind.SendToAll, f => f.ExcludedConnectionIds = new string[ServerRequestRelay.MaxExcluded + 1]), default));
    }

    private static InboundFrame Frame(InboundKind kind, Action<InboundFrame> configure)
    {
        var frame = new InboundFrame { Kind = kind, Hub = "chat", ConnectionId = "", ConnectorId = "connector-1", DataType = DataType.Text, Payload = "hi"u8.ToArray() };
        configure(frame);
        return frame;
    }
}
