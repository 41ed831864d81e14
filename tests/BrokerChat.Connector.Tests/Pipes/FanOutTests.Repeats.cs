using BrokerChat.Connector.Connections;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Outbound;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Tests.Pipes;

/// <summary>
/// Repeats recognised by position: every delivery names the inbound record it was made from, and a message at or
/// below the newest one of the same source (inbound partition and key) to the same target is a repeat, as when a
/// worker that lost its partitions still produces what it held. The message ids here all differ, so only the
/// position can tell.
/// </summary>
public sealed partial class FanOutTests
{
    private static readonly byte[] RoomKey = "chat/room"u8.ToArray();
    private static readonly byte[] ConnectionKey = "chat/@c1"u8.ToArray();

    [Fact]
    public async Task ARoomDeliveryAtOrBelowTheNewestPositionOfItsSourceIsNotDeliveredAgainAndUsesNoSequenceId()
    {
        await using var services = Started();
        var member = Member(services, "r1", ClientProtocol.JsonReliable, "room");
        await member.ReadTextAsync(); // connected, with its token

        Dispatch(services, Sourced("a", 5, 0, RoomKey), offset: 0);
        Dispatch(services, Sourced("b", 6, 0, RoomKey), offset: 1);
        Dispatch(services, Sourced("stale", 5, 0, RoomKey), offset: 2); // the zombie's copy of record 5
        Dispatch(services, Sourced("again", 6, 0, RoomKey), offset: 3); // and of record 6
        Dispatch(services, Sourced("c", 7, 0, RoomKey), offset: 4);

        Assert.StartsWith("{\"sequenceId\":1,", await TextWith(member, "\"data\":\"a\""), StringComparison.Ordinal);
        Assert.StartsWith("{\"sequenceId\":2,", await TextWith(member, "\"data\":\"b\""), StringComparison.Ordinal);
        Assert.StartsWith("{\"sequenceId\":3,", await TextWith(member, "\"data\":\"c\""), StringComparison.Ordinal);
        Assert.False(member.HasUnreadFrame());
    }

    [Fact]
    public async Task ARepeatsAckIsNotAnswered()
    {
        await using var services = Started();
        var sender = Member(services, "s1", ClientProtocol.Json, "room");
        await sender.ReadFrameAsync();
        var connection = services.Get<ConnectionIndex>().GroupMembers("chat", "room").Single();
        Assert.True(connection.TryAddPendingAck(8, long.MaxValue, out _));
        Dispatch(services, Sourced("newer", 9, 0, RoomKey), offset: 0);
        // A copy of an older record whose original never got through (a gap a lost produce left): not delivered now,
        // out of order, so its success is not reported either; the request times out instead.
        var late = Sourced("late", 8, 0, RoomKey);
        late.Ack = new AckOutcome { ConnectionId = "s1", AckId = 8, Success = true };
        late.AckConnectorId = services.Get<ConnectorIdentity>().Id;

        Dispatch(services, late, offset: 1);

        Assert.Contains("newer", await sender.ReadTextAsync(), StringComparison.Ordinal);
        Assert.False(sender.HasUnreadFrame());
        Assert.Equal(1, connection.PendingAckCount);
    }

    [Fact]
    public async Task SourcesAreKeptApartByKeyAndIndexAndDeliveriesWithoutOneArePassedThrough()
    {
        await using var services = Started();
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync();

        Dispatch(services, Sourced("room-10", 10, 0, RoomKey), offset: 0);
        // A connection's event on the same inbound partition, handled on another key slot: its lower offset is no repeat.
        Dispatch(services, Sourced("event-4", 4, 0, ConnectionKey), offset: 1);
        Dispatch(services, Sourced("room-10-1", 10, 1, RoomKey), offset: 2); // the record's second delivery
        Dispatch(services, GroupMessage("older-worker-1", "older-worker-1"), offset: 3);
        Dispatch(services, GroupMessage("older-worker-2", "older-worker-2"), offset: 4);
        Dispatch(services, Sourced("room-10-1-again", 10, 1, RoomKey), offset: 5);
        Dispatch(services, Sourced("event-4-again", 4, 0, ConnectionKey), offset: 6);
        Dispatch(services, Sourced("other-partition", 3, 0, RoomKey, partition: 2), offset: 7);

        foreach (var text in new[] { "room-10", "event-4", "room-10-1", "older-worker-1", "older-worker-2", "other-partition" })
        {
            Assert.Contains($"\"data\":\"{text}\"", await member.ReadTextAsync(), StringComparison.Ordinal);
        }

        Assert.False(member.HasUnreadFrame());
    }

    [Fact]
    public async Task AMessageToAConnectionAtOrBelowItsSourcesNewestPositionIsNotDeliveredAgain()
    {
        await using var services = Started();
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync();

        foreach (var (text, inboundOffset) in new[] { ("first", 3L), ("second", 4L), ("stale", 3L), ("third", 5L) })
        {
            var message = Sourced(text, inboundOffset, 0, ConnectionKey);
            (message.Target, message.Group, message.ConnectionId) = (DeliveryTarget.Connection, null, "j1");
            Dispatch(services, message, offset: inboundOffset);
        }

        foreach (var text in new[] { "first", "second", "third" })
        {
            Assert.Contains($"\"data\":\"{text}\"", await member.ReadTextAsync(), StringComparison.Ordinal);
        }

        Assert.False(member.HasUnreadFrame());
    }

    [Fact]
    public async Task ARepeatedJoinCommandAfterALaterLeaveDoesNotPutTheConnectionBackInTheGroup()
    {
        await using var services = Started();
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync();
        var connection = services.Get<ConnectionIndex>().GroupMembers("chat", "room").Single();

        Dispatch(services, GroupChange(DeliveryCommand.AddToGroup, 20), offset: 0);
        Assert.True(connection.IsMember("extra"));
        Dispatch(services, GroupChange(DeliveryCommand.RemoveFromGroup, 21), offset: 1);
        Dispatch(services, GroupChange(DeliveryCommand.AddToGroup, 20), offset: 2); // the zombie's copy of the join

        Assert.False(connection.IsMember("extra"));
    }

    [Fact]
    public async Task ARepeatedMessageChangeIsNotAnnouncedAgain()
    {
        await using var services = Started();
        var member = Member(services, "j1", ClientProtocol.Json, "room");
        await member.ReadFrameAsync();
        Dispatch(services, Sourced("m", 1, 0, RoomKey), offset: 0);
        Assert.Contains("\"data\":\"m\"", await member.ReadTextAsync(), StringComparison.Ordinal);

        Dispatch(services, Change(2), offset: 1);
        Dispatch(services, Change(2), offset: 2);

        Assert.Contains("messageChanged", await member.ReadTextAsync(), StringComparison.Ordinal);
        Assert.False(member.HasUnreadFrame());
    }

    private static Delivery Sourced(string text, long inboundOffset, int index, byte[] key, int partition = 1)
    {
        var delivery = GroupMessage(text, text);
        delivery.Source = new DeliverySource { Partition = partition, Offset = inboundOffset, Index = index, KeyHash = DeliverySource.HashKey(key) };
        return delivery;
    }

    private static Delivery Change(long inboundOffset) => new()
    {
        Target = DeliveryTarget.Group,
        Hub = "chat",
        Group = "room",
        MessageId = $"1-{inboundOffset}",
        HasMessage = false,
        Command = DeliveryCommand.MessageChanged,
        ChangedMessageId = "m",
        Change = MessageChange.Deleted,
        Source = new DeliverySource { Partition = 1, Offset = inboundOffset, KeyHash = DeliverySource.HashKey(RoomKey) },
    };

    /// <summary>A REST join or leave of group "extra" for connection j1, made from inbound record 1@<paramref name="inboundOffset"/>.</summary>
    private static Delivery GroupChange(DeliveryCommand command, long inboundOffset) => new()
    {
        Target = DeliveryTarget.Connection,
        Hub = "chat",
        ConnectionId = "j1",
        Group = "extra",
        HasMessage = false,
        Command = command,
        MessageId = $"1-{inboundOffset}",
        Source = new DeliverySource { Partition = 1, Offset = inboundOffset, KeyHash = DeliverySource.HashKey("chat/extra"u8) },
    };

    /// <summary>The member's next text frame, which must hold <paramref name="expected"/>.</summary>
    private static async Task<string> TextWith(InMemoryClient member, string expected)
    {
        var text = await member.ReadTextAsync();
        Assert.Contains(expected, text, StringComparison.Ordinal);
        return text;
    }
}
