using System.Text;
using BrokerChat.Connector.History;
using BrokerChat.Contracts.Messages;
using BrokerChat.History;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Connector.Tests;

/// <summary>
/// The join of what the history store read for a resuming session with what a room's memory still holds: every
/// missed message once, in offset order, the store's before the memory's first offset and the memory's from there.
/// </summary>
public sealed class StoredCatchUpTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void StoredMessagesBeforeTheMemoryComeFirstAndTheOverlapIsGivenOnceFromTheMemory()
    {
        var memory = Memory(keep: 4, 10, 20); // holds 16..19
        Assert.Equal(16, memory.CompleteFrom("hub", "room", 0));

        var merged = Joined(Read(Stored(10, 20), writtenTo: 20), memory, from: 10);

        Assert.Equal(Enumerable.Range(10, 10).Select(o => (long)o), merged.Select(m => m.Offset));
        Assert.Equal(Enumerable.Range(10, 10).Select(o => $"m{o}"), merged.Select(m => m.Delivery.MessageId));
        Assert.Equal(Enumerable.Range(10, 10).Select(o => o < 16), merged.Select(m => m.FromStore));
        Assert.Equal("text 12", Encoding.UTF8.GetString(merged[2].Delivery.Payload!));
        Assert.Equal((DeliveryTarget.Group, "hub", "room"), (merged[2].Delivery.Target, merged[2].Delivery.Hub, merged[2].Delivery.Group));
    }

    [Fact]
    public void StoreWrittenExactlyUpToWhereTheMemoryBeginsJoinsWithNeitherGapNorRepeat()
    {
        var memory = Memory(keep: 4, 10, 20);

        var merged = Joined(Read(Stored(10, 16), writtenTo: 16), memory, from: 10);

        Assert.Equal(Enumerable.Range(10, 10).Select(o => (long)o), merged.Select(m => m.Offset));
        Assert.Equal(6, merged.Count(m => m.FromStore));
    }

    [Fact]
    public void StoreNotWrittenUpToWhereTheMemoryBeginsDoesNotJoin()
    {
        var memory = Memory(keep: 4, 10, 20);

        Assert.Null(Merge(Read(Stored(10, 15), writtenTo: 15), memory, from: 10)); // offset 15 would be missing
        Assert.Null(Merge(new RecoveryRead(false, [], 20), memory, from: 10)); // the store does not cover the position
    }

    [Fact]
    public void DeletedMessagesAreLeftOutWhetherTheStoreOrTheMemoryWouldGiveThem()
    {
        var memory = Memory(keep: 4, 10, 20);
        var stored = Stored(10, 20).Select(m => m.Offset is 12 or 17 ? m with { Payload = null, DeletedAt = 1 } : m).ToList();

        var merged = Joined(Read(stored, writtenTo: 20), memory, from: 10);

        Assert.Equal([10L, 11, 13, 14, 15, 16, 18, 19], merged.Select(m => m.Offset));
    }

    [Fact]
    public void MessageTheStoreGaveIsNotGivenAgainWhenTheMemoryHoldsARepeatOfIt()
    {
        // The functions handled a request twice: the store kept the first delivery (offset 14), the memory, which had
        // evicted it, the repeat (offset 19).
        var memory = Memory(keep: 4, 10, 20, id: o => o == 19 ? "m14" : $"m{o}");

        var merged = Joined(Read(Stored(10, 20), writtenTo: 20), memory, from: 10);

        Assert.Equal([10L, 11, 12, 13, 14, 15, 16, 17, 18], merged.Select(m => m.Offset));
        Assert.Single(merged, m => m.Delivery.MessageId == "m14");
    }

    [Fact]
    public void RoomTheMemoryHoldsNothingOfIsGivenEntirelyFromTheStore()
    {
        var memory = Memory(keep: 4, 10, 10); // nothing of the room since the start at 10
        memory.TryAdd("hub", "other", 0, 10, Delivery("o0", "other"), 10);
        memory.TryAdd("hub", "other", 0, 11, Delivery("o1", "other"), 10);

        var merged = Joined(Read(Stored(2, 10), writtenTo: 12), memory, from: 2);

        Assert.Equal(Enumerable.Range(2, 8).Select(o => (long)o), merged.Select(m => m.Offset));
        Assert.All(merged, m => Assert.True(m.FromStore));
    }

    private static IReadOnlyList<CatchUpMessage> Joined(RecoveryRead read, RoomHistory memory, long from)
    {
        var merged = Merge(read, memory, from);
        Assert.NotNull(merged);
        return merged;
    }

    private static IReadOnlyList<CatchUpMessage>? Merge(RecoveryRead read, RoomHistory memory, long from) =>
        StoredCatchUp.Merge(read, memory.CompleteFrom("hub", "room", 0), memory.From("hub", "room", from));

    /// <summary>A memory started at <paramref name="start"/> that was given the room's messages at offsets start..end-1 and keeps the last <paramref name="keep"/>.</summary>
    private RoomHistory Memory(int keep, long start, long end, Func<long, string>? id = null)
    {
        var history = new RoomHistory(keep, TimeSpan.FromMinutes(5), 1_000_000, 1000, _time);
        history.Start([start]);
        for (var offset = start; offset < end; offset++)
        {
            Assert.True(history.TryAdd("hub", "room", 0, offset, Delivery(id?.Invoke(offset) ?? $"m{offset}", "room"), 10));
        }

        return history;
    }

    private static RecoveryRead Read(IReadOnlyList<StoredMessage> messages, long writtenTo) => new(true, messages, writtenTo);

    private static List<StoredMessage> Stored(long from, long to) =>
        [.. Enumerable.Range((int)from, (int)(to - from)).Select(o => new StoredMessage(o, "hub", "room", $"m{o}", 0, o, "sam",
            DataType.Text, Encoding.UTF8.GetBytes($"text {o}"), 1_000 + o, null, null, null, null))];

    private static Delivery Delivery(string id, string group) =>
        new() { Target = DeliveryTarget.Group, Hub = "hub", Group = group, MessageId = id, Payload = [1] };
}
