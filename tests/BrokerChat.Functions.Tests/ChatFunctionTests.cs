using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Functions.Chat;
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
