using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Functions.Tests;

public sealed class ChatFunctionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly ChatFunction _function = new(
        new FrameValidator(Options.Create(new FunctionsOptions { MaxMessageBytes = 16 })),
        new FakeTimeProvider(Now));

    [Fact]
    public void ValidGroupMessageBecomesOneGroupDeliveryThatAlsoAcknowledgesTheSender()
    {
        var frame = Frame();

        var delivery = Assert.Single(_function.Handle(frame, new InboundPosition(3, 42)));

        Assert.Equal(DeliveryTarget.Group, delivery.Target);
        Assert.Equal(("chat", "room", "alice"), (delivery.Hub, delivery.Group, delivery.FromUserId));
        Assert.Equal("3-42", delivery.MessageId);
        Assert.Equal(frame.Payload, delivery.Payload);
        Assert.Equal(Now.ToUnixTimeMilliseconds(), delivery.ProducedAt);
        Assert.Null(delivery.ExcludedConnectionId);
        Assert.True(delivery.HasMessage);
        Assert.Equal((true, 7UL, "conn-1"), (delivery.Ack!.Success, delivery.Ack.AckId, delivery.Ack.ConnectionId));
        Assert.Equal("connector-1", delivery.AckConnectorId);
    }

    [Fact]
    public void NoEchoExcludesTheSendingConnection()
    {
        var frame = Frame();
        frame.NoEcho = true;

        Assert.Equal("conn-1", Assert.Single(_function.Handle(frame, default)).ExcludedConnectionId);
    }

    [Fact]
    public void FireAndForgetMessageCarriesNoAck()
    {
        var frame = Frame();
        frame.AckId = null;

        var delivery = Assert.Single(_function.Handle(frame, default));

        Assert.Null(delivery.Ack);
        Assert.Null(delivery.AckConnectorId);
    }

    [Fact]
    public void RejectedRequestBecomesOnlyAnAckErrorForTheSender()
    {
        var frame = Frame();
        frame.Roles = [];

        var delivery = Assert.Single(_function.Handle(frame, new InboundPosition(1, 2)));

        Assert.False(delivery.HasMessage);
        Assert.Equal(DeliveryTarget.Connection, delivery.Target);
        Assert.Equal("conn-1", delivery.ConnectionId);
        Assert.Null(delivery.Payload);
        Assert.Equal((false, AckErrorNames.Forbidden), (delivery.Ack!.Success, delivery.Ack.ErrorName));
    }

    [Fact]
    public void RejectedFireAndForgetRequestProducesNothing()
    {
        var frame = Frame();
        frame.AckId = null;
        frame.Payload = new byte[17];
        frame.DataType = DataType.Binary;

        Assert.Empty(_function.Handle(frame, default));
    }

    [Fact]
    public void AcceptedEventIsAcknowledgedWithoutAnyDelivery()
    {
        var frame = Frame();
        frame.Kind = InboundKind.Event;
        frame.Group = null;
        frame.EventName = "typing";

        var delivery = Assert.Single(_function.Handle(frame, default));

        Assert.False(delivery.HasMessage);
        Assert.True(delivery.Ack!.Success);
    }

    [Fact]
    public void MessageIdsAreDerivedFromTheInboundPosition()
    {
        Assert.Equal("5-9", new InboundPosition(5, 9).MessageId());
        Assert.Equal("5-9-1", new InboundPosition(5, 9).MessageId(1));
        Assert.Equal(_function.Handle(Frame(), new InboundPosition(5, 9))[0].MessageId, _function.Handle(Frame(), new InboundPosition(5, 9))[0].MessageId);
    }

    [Fact]
    public void PresenceRecordIsRelayedToEveryConnectorWithoutTheRulesForClientRequests()
    {
        var change = new PresenceChange { Action = PresenceAction.Join, ConnectorId = "connector-1", ConnectionId = "conn-1", UserId = "alice", Version = 5 };
        var frame = new InboundFrame { Kind = InboundKind.Presence, Hub = "chat", Group = "room", ConnectionId = "conn-1", ConnectorId = "connector-1", DataType = DataType.Binary, Presence = change };

        var delivery = Assert.Single(_function.Handle(frame, new InboundPosition(2, 8)));

        Assert.Equal((DeliveryTarget.Presence, "chat", "room", false, "2-8"), (delivery.Target, delivery.Hub, delivery.Group, delivery.HasMessage, delivery.MessageId));
        Assert.Same(change, delivery.Presence);
        Assert.Null(delivery.Ack);
    }

    [Theory]
    [InlineData(PresenceAction.Join, "chat", "")] // no group
    [InlineData(PresenceAction.Leave, "", "room")] // no hub
    [InlineData(PresenceAction.Beacon, "chat", "room")] // beacons do not go through the functions
    [InlineData(PresenceAction.Snapshot, "", null)] // a snapshot without members
    public void MalformedPresenceRecordIsDropped(PresenceAction action, string hub, string? group)
    {
        var frame = new InboundFrame { Kind = InboundKind.Presence, Hub = hub, Group = group, Presence = new PresenceChange { Action = action, ConnectorId = "c", ConnectionId = "conn-1" } };
        Assert.Empty(_function.Handle(frame, default));
    }

    [Fact]
    public void SnapshotWithAMalformedMemberIsDropped()
    {
        var members = new[] { new PresenceMember { Hub = "chat", Group = "room", ConnectionId = "c1" }, new PresenceMember { Hub = "chat", Group = "", ConnectionId = "c2" } };
        var frame = new InboundFrame { Kind = InboundKind.Presence, Presence = new PresenceChange { Action = PresenceAction.Snapshot, ConnectorId = "c", Members = members } };
        Assert.Empty(_function.Handle(frame, default));
        members[1].Group = "lobby";
        Assert.Single(_function.Handle(frame, default));
    }

    internal static InboundFrame Frame() => new()
    {
        Kind = InboundKind.SendToGroup,
        Hub = "chat",
        Group = "room",
        ConnectionId = "conn-1",
        ConnectorId = "connector-1",
        UserId = "alice",
        Roles = ["webpubsub.sendToGroup"],
        AckId = 7,
        DataType = DataType.Json,
        Payload = Encoding.UTF8.GetBytes("""{"a":1}"""),
    };
}

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
    public void MalformedRestRequestsAreDroppedRatherThanDelivered()
    {
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
