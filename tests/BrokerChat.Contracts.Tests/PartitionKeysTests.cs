using BrokerChat.Contracts.Topics;

namespace BrokerChat.Contracts.Tests;

public sealed class PartitionKeysTests
{
    [Fact]
    public void ARoomAlwaysHasTheSameKey() =>
        Assert.Equal(PartitionKeys.Room("chat", "lobby"), PartitionKeys.Room("chat", "lobby"));

    [Fact]
    public void HubsCompareCaseInsensitivelyAndGroupsCaseSensitively()
    {
        Assert.Equal(PartitionKeys.Room("Chat", "lobby"), PartitionKeys.Room("chat", "lobby"));
        Assert.NotEqual(PartitionKeys.Room("chat", "Lobby"), PartitionKeys.Room("chat", "lobby"));
    }

    [Fact]
    public void DifferentRoomsHaveDifferentKeysEvenWhenTheirConcatenationsMatch()
    {
        Assert.NotEqual(PartitionKeys.Room("ab", "c"), PartitionKeys.Room("a", "bc"));
        Assert.NotEqual(PartitionKeys.Room("chat", "a"), PartitionKeys.Room("other", "a"));
    }

    [Fact]
    public void KeyIsHubSlashGroupInUtf8() =>
        Assert.Equal("chat/ж"u8.ToArray(), PartitionKeys.Room("CHAT", "ж"));

    [Fact]
    public void EveryPartitionHasAKeyOfItsOwnThatNoRoomShares()
    {
        foreach (var count in new[] { 1, 12, 100 })
        {
            for (var p = 0; p < count; p++)
            {
                var key = PartitionKeys.ForPartition(p, count);
                Assert.Equal(p, PartitionKeys.PartitionOf(key, count));
                Assert.Equal((byte)'/', key[0]);
            }
        }
    }

    [Fact]
    public void TopicNamesCarryThePrefix()
    {
        var topics = new KafkaTopics("t1.");
        Assert.Equal(["t1.inbound", "t1.outbound", "t1.deadletter"], topics.All);
    }
}
