using System.Text;
using BrokerChat.Contracts.Messages;
using MessagePack;

namespace BrokerChat.Benchmarks;

/// <summary>The chat message every benchmark works on: a 100-byte JSON payload sent to a room.</summary>
internal static class Samples
{
    public const string Room = "room-42";

    public static readonly byte[] JsonPayload = Encoding.UTF8.GetBytes("{\"text\":\"" + new string('x', 80) + "\",\"n\":1}");

    public static readonly byte[] JsonRequest = Encoding.UTF8.GetBytes(
        "{\"type\":\"sendToGroup\",\"group\":\"" + Room + "\",\"dataType\":\"json\",\"data\":" + Encoding.UTF8.GetString(JsonPayload) + ",\"ackId\":12345}");

    public static readonly byte[] MessagePackRequest = MessagePackSerializer.Serialize(new Dictionary<string, object>
    {
        ["type"] = "sendToGroup",
        ["group"] = Room,
        ["dataType"] = "json",
        ["data"] = Encoding.UTF8.GetString(JsonPayload),
        ["ackId"] = 12345UL,
    });

    public static Delivery Delivery() => new()
    {
        Target = DeliveryTarget.Group,
        Hub = "chat",
        Group = Room,
        MessageId = "3-1234567",
        DataType = DataType.Json,
        Payload = JsonPayload,
        ProducedAt = 1_763_900_000_000,
        FromUserId = "alice",
        Ack = AckOutcome.Succeeded("conn-abcdefghijklmnop", 12345),
        AckConnectorId = "connector-1",
        ReceivedAt = 1_763_900_000_000,
    };

    public static InboundFrame Inbound() => new()
    {
        Kind = InboundKind.SendToGroup,
        Hub = "chat",
        Group = Room,
        ConnectionId = "conn-abcdefghijklmnop",
        ConnectorId = "connector-1",
        UserId = "alice",
        Roles = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"],
        AckId = 12345,
        DataType = DataType.Json,
        Payload = JsonPayload,
        ReceivedAt = 1_763_900_000_000,
    };
}
