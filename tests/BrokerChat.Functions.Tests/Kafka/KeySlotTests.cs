using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Hosting.Kafka;

namespace BrokerChat.Functions.Tests.Kafka;

public sealed class KeySlotTests
{
    [Theory]
    [InlineData(12, 8)]
    [InlineData(4, 8)]
    [InlineData(16, 4)]
    public void TheRoomsOfOnePartitionSpreadOverEveryKeySlot(int partitions, int slots)
    {
        // The partitioner's hash modulo the partition count is the same for all of them: the slot hash must not reuse it.
        var rooms = Enumerable.Range(0, 20_000).Select(i => PartitionKeys.Room("chat", $"room-{i}"))
            .Where(k => PartitionKeys.PartitionOf(k, partitions) == 0)
            .ToList();

        var perSlot = rooms.GroupBy(k => KeySlot.SlotOf(k, slots)).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(slots, perSlot.Count);
        Assert.All(perSlot.Values, n => Assert.InRange(n, rooms.Count / slots * 8 / 10, rooms.Count / slots * 12 / 10));
    }

    [Fact]
    public void OneSlotTakesEveryKeyAndARecordWithoutAKeyGoesToTheFirstSlot()
    {
        Assert.Equal(0, KeySlot.SlotOf(PartitionKeys.Room("chat", "lobby"), 1));
        Assert.Equal(0, KeySlot.SlotOf(null, 8));
        Assert.Equal(KeySlot.SlotOf(PartitionKeys.Room("chat", "lobby"), 8), KeySlot.SlotOf(PartitionKeys.Room("CHAT", "lobby"), 8));
    }
}
