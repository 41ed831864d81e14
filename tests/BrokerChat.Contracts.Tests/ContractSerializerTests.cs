using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Serialization;
using MessagePack;

namespace BrokerChat.Contracts.Tests;

public sealed class ContractSerializerTests
{
    [Fact]
    public void InboundFrameRoundTripsEveryField()
    {
        var frame = new InboundFrame
        {
            Kind = InboundKind.SendToGroup,
            Hub = "chat",
            Group = "room",
            ConnectionId = "conn",
            ConnectorId = "c1",
            UserId = "alice",
            Roles = ["webpubsub.sendToGroup"],
            AckId = ulong.MaxValue,
            DataType = DataType.Binary,
            Payload = [1, 2, 3],
            ReceivedAt = 1_700_000_000_123,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            NoEcho = true,
            EventName = "typing",
            Target = DeliveryTarget.User,
            ExcludedConnectionIds = ["a", "b"],
            Filter = "userId eq 'x'",
            Reason = "bye",
            MessageTtlSeconds = 30,
            AnswerBy = 1_700_000_010_123,
        };

        var back = ContractSerializer.DeserializeInbound(ContractSerializer.Serialize(frame));

        Assert.Equivalent(frame, back, strict: true);
    }

    [Fact]
    public void DeliveryRoundTripsEveryFieldIncludingTheAckOutcome()
    {
        var delivery = new Delivery
        {
            Target = DeliveryTarget.Group,
            Hub = "chat",
            Group = "room",
            UserId = "u",
            ConnectionId = "conn",
            ExcludedConnectionId = "conn",
            MessageId = "3-42",
            DataType = DataType.Json,
            Payload = "{}"u8.ToArray(),
            ProducedAt = 5,
            FromUserId = "alice",
            Ack = AckOutcome.Failed("conn", 7, AckErrorNames.Forbidden, "no"),
            AckConnectorId = "c1",
            ReceivedAt = 4,
            TraceParent = "tp",
            HasMessage = false,
            Command = DeliveryCommand.ExistsReply,
            ExcludedConnectionIds = ["a"],
            Filter = "'g' in groups",
            Reason = "bye",
            Found = true,
            ReplyingConnectorId = "c2",
            ErrorMessage = "refused",
            Permission = GroupPermission.JoinLeaveGroup,
            Permitted = true,
            ExpiresAt = 1_700_000_030_123,
            Source = new DeliverySource { Partition = 3, Offset = 42, Index = 1, KeyHash = DeliverySource.HashKey("chat/room"u8) },
        };

        var back = ContractSerializer.DeserializeDelivery(ContractSerializer.Serialize(delivery));

        Assert.Equivalent(delivery, back, strict: true);
    }

    [Fact]
    public void ReaderIgnoresItemsAppendedByANewerWriter()
    {
        var bytes = ContractSerializer.Serialize(new InboundFrame { Hub = "chat", Group = "g", ConnectionId = "c", Payload = [9] });
        var newer = AppendTwoItems(bytes);

        var back = ContractSerializer.DeserializeInbound(newer);

        Assert.Equal("chat", back.Hub);
        Assert.Equal("g", back.Group);
        Assert.Equal([9], back.Payload);
    }

    [Fact]
    public void ReaderUsesDefaultsForItemsAnOlderWriterDidNotHave()
    {
        // An older delivery with only the first seven items (target … message id).
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(writer);
        w.WriteArrayHeader(7);
        w.Write((int)DeliveryTarget.Group);
        w.Write("chat");
        w.Write("room");
        w.WriteNil();
        w.WriteNil();
        w.WriteNil();
        w.Write("0-1");
        w.Flush();

        var back = ContractSerializer.DeserializeDelivery(writer.WrittenMemory);

        Assert.Equal(("chat", "room", "0-1"), (back.Hub, back.Group, back.MessageId));
        Assert.Null(back.Payload);
        Assert.Null(back.Ack);
        Assert.Null(back.Source); // no position: a connector passes it through
        Assert.True(back.HasMessage);
    }

    [Fact]
    public void AnInboundFrameFromAnOlderConnectorHasNoAnswerByDeadline()
    {
        // An older connector's request: the items up to the message change's id (24), without answer-by (25).
        var current = ContractSerializer.Serialize(new InboundFrame { Hub = "chat", Group = "g", ConnectionId = "c", AckId = 3, AnswerBy = 123 });
        var reader = new MessagePackReader(current);
        Assert.Equal(26, reader.ReadArrayHeader());
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(writer);
        w.WriteArrayHeader(25);
        for (var i = 0; i < 25; i++)
        {
            var start = reader.Position;
            reader.Skip();
            w.WriteRaw(reader.Sequence.Slice(start, reader.Position));
        }

        w.Flush();

        var back = ContractSerializer.DeserializeInbound(writer.WrittenMemory);

        Assert.Equal(("chat", "g", 3UL, 0L), (back.Hub, back.Group, back.AckId, back.AnswerBy));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xc1 })]
    [InlineData(new byte[] { 0xc0 })]
    [InlineData(new byte[] { 0x93, 0x01 })]
    [InlineData(new byte[] { 0xdd, 0xff, 0xff, 0xff, 0xff })]
    public void GarbageIsAContractExceptionNotACrash(byte[] bytes)
    {
        Assert.Throws<ContractException>(() => ContractSerializer.DeserializeDelivery(bytes));
        Assert.Throws<ContractException>(() => ContractSerializer.DeserializeInbound(bytes));
    }

    [Fact]
    public void DeeplyNestedInputIsRefused()
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(writer);
        w.WriteArrayHeader(10);
        for (var i = 0; i < 5000; i++)
        {
            w.WriteArrayHeader(1);
        }

        w.WriteNil();
        w.Flush();

        Assert.Throws<ContractException>(() => ContractSerializer.DeserializeInbound(writer.WrittenMemory));
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        var bytes = ContractSerializer.Serialize(new Delivery { Hub = "chat" });
        Assert.Throws<ContractException>(() => ContractSerializer.DeserializeDelivery(bytes.Concat(new byte[] { 0xc0 }).ToArray()));
    }

    private static byte[] AppendTwoItems(byte[] array)
    {
        var reader = new MessagePackReader(array);
        var count = reader.ReadArrayHeader();
        var body = array.AsMemory((int)reader.Consumed);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(count + 2);
        writer.WriteRaw(body.Span);
        writer.Write("a field from the future");
        writer.WriteMapHeader(1);
        writer.Write("nested");
        writer.Write(42);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
