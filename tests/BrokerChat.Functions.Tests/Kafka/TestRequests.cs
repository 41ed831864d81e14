using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Chat;
using BrokerChat.Functions.Hosting.Kafka;
using Confluent.Kafka;

namespace BrokerChat.Functions.Tests.Kafka;

/// <summary>Inbound frames and the deliveries a test handler makes of them; the text of a request is its payload.</summary>
internal static class TestRequests
{
    public const string Hub = "lanes";

    public static InboundFrame ToGroup(string group, string text, ulong? ackId = null) => new()
    {
        Kind = InboundKind.SendToGroup,
        Hub = Hub,
        Group = group,
        ConnectionId = "conn-1",
        ConnectorId = "connector-1",
        AckId = ackId,
        DataType = DataType.Text,
        Payload = Encoding.UTF8.GetBytes(text),
    };

    public static InboundFrame Event(string connectionId, string text) => new()
    {
        Kind = InboundKind.Event,
        Hub = Hub,
        ConnectionId = connectionId,
        ConnectorId = "connector-1",
        EventName = "message",
        DataType = DataType.Text,
        Payload = Encoding.UTF8.GetBytes(text),
    };

    public static string Text(InboundFrame frame) => Encoding.UTF8.GetString(frame.Payload);

    /// <summary>The frame's text to its group (or to <paramref name="group"/>).</summary>
    public static Delivery GroupMessage(InboundFrame frame, InboundPosition position, string? group = null) => new()
    {
        Target = DeliveryTarget.Group,
        Hub = frame.Hub,
        Group = group ?? frame.Group,
        MessageId = position.MessageId(),
        DataType = DataType.Text,
        Payload = frame.Payload,
        ReceivedAt = frame.ReceivedAt,
    };

    /// <summary>The frame's text back to its sender's connection.</summary>
    public static Delivery ConnectionMessage(InboundFrame frame, InboundPosition position, int index = 0) => new()
    {
        Target = DeliveryTarget.Connection,
        Hub = frame.Hub,
        ConnectionId = frame.ConnectionId,
        MessageId = position.MessageId(index),
        DataType = DataType.Text,
        Payload = frame.Payload,
        ReceivedAt = frame.ReceivedAt,
    };

    /// <summary>
    /// Two rooms whose records share a partition of <see cref="WorkerKafka.Partitions"/> but land in different key
    /// slots of <paramref name="slots"/>.
    /// </summary>
    public static (string First, string Second) RoomsOnOnePartitionInDifferentSlots(int slots = 8)
    {
        var rooms = RoomsOnPartitionOf("room-0").ToList();
        var first = rooms[0];
        var second = rooms.First(r => SlotOf(r, slots) != SlotOf(first, slots));
        return (first, second);
    }

    /// <summary>Rooms whose records land on the partition of <paramref name="room"/>, that one first.</summary>
    public static IEnumerable<string> RoomsOnPartitionOf(string room)
    {
        var partition = PartitionOf(room);
        return Enumerable.Range(0, 10_000).Select(i => $"room-{i}").Where(r => PartitionOf(r) == partition);
    }

    public static int PartitionOf(string room) => PartitionKeys.PartitionOf(PartitionKeys.Room(Hub, room), WorkerKafka.Partitions);

    public static int SlotOf(string room, int slots = 8) => KeySlot.SlotOf(PartitionKeys.Room(Hub, room), slots);

    public static Task<TopicPartitionOffset> SendAsync(this WorkerKafka kafka, string room, string text, CancellationToken ct, ulong? ackId = null) =>
        kafka.ProduceAsync(PartitionKeys.Room(Hub, room), ToGroup(room, text, ackId), ct);
}
