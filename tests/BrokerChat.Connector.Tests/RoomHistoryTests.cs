using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests;

public sealed class RoomHistoryTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void DeliveryRepeatingAMessageIdIsRefusedSoItIsNotDeliveredTwice()
    {
        var history = Started(maxMessages: 10);
        Assert.True(history.TryAdd("hub", "room", 0, 100, Delivery("0-7"), 10));
        Assert.False(history.TryAdd("hub", "room", 0, 101, Delivery("0-7"), 10));
        Assert.True(history.TryAdd("hub", "room", 0, 102, Delivery("0-8"), 10));
        Assert.Equal([100L, 102L], history.From("hub", "room", 0).Select(e => e.Offset));
    }

    [Fact]
    public void RoomIsCoveredFromTheStartUntilItsOldestMessagesAreEvicted()
    {
        var history = Started(maxMessages: 2);
        Assert.True(history.Covers("hub", "room", 0, 50)); // nothing of the room since the start at 50
        Assert.False(history.Covers("hub", "room", 0, 49));
        history.TryAdd("hub", "room", 0, 60, Delivery("a"), 10);
        history.TryAdd("hub", "room", 0, 61, Delivery("b"), 10);
        Assert.True(history.Covers("hub", "room", 0, 55));

        history.TryAdd("hub", "room", 0, 62, Delivery("c"), 10); // 60 goes
        Assert.False(history.Covers("hub", "room", 0, 60));
        Assert.True(history.Covers("hub", "room", 0, 61));
        Assert.Equal([61L, 62L], history.From("hub", "room", 61).Select(e => e.Offset));
    }

    [Fact]
    public void MessagesOlderThanTheAgeLimitOrBeyondTheByteLimitGoFirst()
    {
        var history = Started(maxMessages: 100, maxBytes: 25);
        history.TryAdd("hub", "a", 0, 60, Delivery("1"), 10);
        history.TryAdd("hub", "b", 0, 61, Delivery("2"), 10);
        history.TryAdd("hub", "a", 0, 62, Delivery("3"), 10); // 30 bytes > 25: the oldest (room a, 60) goes
        Assert.Equal((2, 20L), (history.Messages, history.Bytes));
        Assert.False(history.Covers("hub", "a", 0, 60));

        _time.Advance(TimeSpan.FromMinutes(6));
        history.Trim();
        Assert.Equal(0, history.Messages);
        Assert.Equal(0, history.Rooms);
        Assert.False(history.Covers("hub", "b", 0, 61)); // a forgotten room is known complete only after its last message
    }

    [Fact]
    public void LastGivesTheNewestMessagesOldestFirstAndNoMoreThanItHolds()
    {
        var history = Started(maxMessages: 10);
        for (var i = 0; i < 5; i++)
        {
            history.TryAdd("hub", "room", 0, 60 + i, Delivery($"m{i}"), 10);
        }

        Assert.Equal(["m2", "m3", "m4"], history.Last("hub", "room", 3).Select(d => d.MessageId));
        Assert.Equal(5, history.Last("hub", "room", 100).Count());
        Assert.Empty(history.Last("hub", "room", 0));
        Assert.Empty(history.Last("hub", "other", 3));
    }

    [Fact]
    public void MessageReadBackAtStartupAgesFromWhenItArrivedNotFromWhenItWasAdded()
    {
        var history = Started(maxMessages: 10);
        var fourMinutesAgo = _time.GetTimestamp() - (long)(240 * _time.TimestampFrequency);
        history.TryAdd("hub", "room", 0, 40, Delivery("old"), 10, fourMinutesAgo);
        history.TryAdd("hub", "room", 0, 41, Delivery("new"), 10);

        _time.Advance(TimeSpan.FromMinutes(1.5));
        history.Trim();
        Assert.Equal(["new"], history.Last("hub", "room", 10).Select(d => d.MessageId));
    }

    [Fact]
    public void AnEditChangesTheHeldCopyAndADeleteLeavesItOutOfReplaysAndJoinHistory()
    {
        var history = Started(maxMessages: 10);
        history.TryAdd("hub", "room", 0, 60, Delivery("a", from: "ann"), 1);
        history.TryAdd("hub", "room", 0, 61, Delivery("b", from: "bob"), 1);
        history.TryAdd("hub", "room", 0, 62, Delivery("c", from: "ann"), 1);

        Assert.True(history.Apply("hub", "room", "a", MessageChange.Edited, "ann", DataType.Text, [7, 7, 7]));
        Assert.True(history.Apply("hub", "room", "b", MessageChange.Deleted, null, DataType.Json, null)); // the backend may change any
        Assert.False(history.Apply("hub", "room", "c", MessageChange.Deleted, "bob", DataType.Json, null)); // not bob's to delete
        Assert.False(history.Apply("hub", "room", "zz", MessageChange.Deleted, null, DataType.Json, null));

        var edited = history.From("hub", "room", 0).First().Delivery;
        Assert.Equal(DataType.Text, edited.DataType);
        Assert.Equal([7, 7, 7], edited.Payload);
        Assert.Equal([60L, 62L], history.From("hub", "room", 0).Select(e => e.Offset));
        Assert.Equal(["a", "c"], history.Last("hub", "room", 2).Select(d => d.MessageId));
        Assert.Equal(4, history.Bytes); // 3 held at 1 each; sizes follow the payloads: a grew by two, b lost its one
        Assert.False(history.Apply("hub", "room", "b", MessageChange.Edited, null, DataType.Text, [1])); // a tombstone stays one
    }

    private RoomHistory Started(int maxMessages, long maxBytes = 1_000_000)
    {
        var history = new RoomHistory(maxMessages, TimeSpan.FromMinutes(5), maxBytes, 1000, _time);
        history.Start([50, 50]);
        return history;
    }

    private static Delivery Delivery(string id, string? from = null) =>
        new() { Target = DeliveryTarget.Group, Hub = "hub", Group = "room", MessageId = id, Payload = [1], FromUserId = from };
}
