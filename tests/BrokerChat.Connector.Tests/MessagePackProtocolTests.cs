using System.Text;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Requests;
using BrokerChat.Contracts.Messages;
using MessagePack;

namespace BrokerChat.Connector.Tests;

public sealed class MessagePackProtocolTests
{
    [Fact]
    public void SharedMessageFrameWithARecipientsSequencePrefixIsOneMapWithEveryField()
    {
        var frame = MessagePackFrameWriter.Instance.Message(new Delivery
        {
            Target = DeliveryTarget.Group, Group = "room", FromUserId = "alice", DataType = DataType.Json, Payload = """{"n":1}"""u8.ToArray(),
        });
        foreach (var sequenceId in new ulong[] { 1, 200, 70_000, 5_000_000_000 })
        {
            var prefix = new byte[FrameWriter.MaxSequencePrefixLength];
            var length = MessagePackFrameWriter.Instance.WriteSequencePrefix(prefix, sequenceId, frame[0]);
            var wire = prefix.AsSpan(0, length).ToArray().Concat(frame.Skip(1)).ToArray();

            var map = Read(wire);

            Assert.Equal(sequenceId, Convert.ToUInt64(map["sequenceId"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(("message", "group", "room", "alice", "json", """{"n":1}"""),
                ((string)map["type"]!, (string)map["from"]!, (string)map["group"]!, (string)map["fromUserId"]!, (string)map["dataType"]!, (string)map["data"]!));
        }
    }

    [Fact]
    public void JsonSequencePrefixMakesAValidObject()
    {
        var frame = JsonFrameWriter.Instance.Message(new Delivery { Target = DeliveryTarget.User, DataType = DataType.Text, Payload = "hi"u8.ToArray() });
        var prefix = new byte[FrameWriter.MaxSequencePrefixLength];
        var length = JsonFrameWriter.Instance.WriteSequencePrefix(prefix, 7, frame[0]);

        var text = Encoding.UTF8.GetString(prefix.AsSpan(0, length)) + Encoding.UTF8.GetString(frame.AsSpan(1));

        Assert.Equal("""{"sequenceId":7,"type":"message","from":"server","dataType":"text","data":"hi"}""", text);
    }

    [Fact]
    public void RequestsAreReadWithTheJsonFieldNamesAndTheirDataTypes()
    {
        var request = new ClientRequest();
        var status = MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(7);
            w.Write("type"); w.Write("sendToGroup");
            w.Write("group"); w.Write("room");
            w.Write("ackId"); w.Write(5UL);
            w.Write("noEcho"); w.Write(true);
            w.Write("dataType"); w.Write("binary");
            w.Write("data"); w.Write(new byte[] { 1, 2 });
            w.Write("future"); w.WriteArrayHeader(1); w.Write(1);
        }), request, out var error);

        Assert.Equal(ParseStatus.Ok, status);
        Assert.Null(error);
        Assert.Equal((ClientRequestType.SendToGroup, "room", (ulong?)5, true, DataType.Binary), (request.Type, request.Group, request.AckId, request.NoEcho, request.DataType));
        Assert.Equal(new byte[] { 1, 2 }, request.Data);
    }

    [Theory]
    [InlineData("json", false, "{\"a\":", "JSON")] // not JSON
    [InlineData("text", true, "hi", "str")] // text must be a str
    [InlineData("binary", false, "x", "bin")] // binary must be a bin
    public void DataOfTheWrongShapeIsAnInvalidRequest(string dataType, bool asBinary, string data, string expectedError)
    {
        var request = new ClientRequest();
        var status = MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            w.Write("type"); w.Write("sendToGroup");
            w.Write("group"); w.Write("room");
            w.Write("dataType"); w.Write(dataType);
            w.Write("data");
            if (asBinary)
            {
                w.Write(Encoding.UTF8.GetBytes(data));
            }
            else
            {
                w.Write(data);
            }
        }), request, out var error);

        Assert.Equal(ParseStatus.Invalid, status);
        Assert.Contains(expectedError, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x93, 1, 2, 3 })] // an array, not a map
    [InlineData(new byte[] { 0x81, 0xA4 })] // truncated
    [InlineData(new byte[] { 0x80, 0x80 })] // two maps
    [InlineData(new byte[] { 0xDF, 0xFF, 0xFF, 0xFF, 0xFF })] // a map claiming 4 billion entries
    public void BytesThatAreNotOneMapAreMalformed(byte[] frame) =>
        Assert.Equal(ParseStatus.Malformed, MessagePackRequestParser.Parse(frame, new ClientRequest(), out _));

    [Fact]
    public void DeeplyNestedUnknownFieldIsMalformedRatherThanExhaustingTheStack()
    {
        var frame = Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("type"); w.Write("ping");
            w.Write("x");
            for (var i = 0; i < 10_000; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.Write(1);
        });
        Assert.Equal(ParseStatus.Malformed, MessagePackRequestParser.Parse(frame, new ClientRequest(), out _));
    }

    [Fact]
    public void JoinGroupWithHistoryAndPresenceAndListMembersAreRead()
    {
        var join = new ClientRequest();
        Assert.Equal(ParseStatus.Ok, MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            w.Write("type"); w.Write("joinGroup");
            w.Write("group"); w.Write("room");
            w.Write("history"); w.Write(10);
            w.Write("presence"); w.Write(true);
        }), join, out _));
        Assert.Equal((ClientRequestType.JoinGroup, (int?)10, true), (join.Type, join.History, join.Presence));

        var list = new ClientRequest();
        Assert.Equal(ParseStatus.Ok, MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("type"); w.Write("listMembers");
            w.Write("group"); w.Write("room");
        }), list, out _));
        Assert.Equal(ClientRequestType.ListMembers, list.Type);

        Assert.Equal(ParseStatus.Invalid, MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("type"); w.Write("joinGroup");
            w.Write("history"); w.Write(-3);
        }), new ClientRequest(), out var error));
        Assert.Contains("history", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PresenceMembersAndHistoryFramesAreMapsWithTheJsonFieldNames()
    {
        var presence = Read(MessagePackFrameWriter.Instance.Presence("room", true, null, "c1"));
        Assert.Equal(("system", "presence", "room", "join", null, "c1"),
            ((string)presence["type"]!, (string)presence["event"]!, (string)presence["group"]!, (string)presence["action"]!, (string?)presence["userId"], (string)presence["connectionId"]!));

        var members = Read(MessagePackFrameWriter.Instance.Members("room", 3, [new("u1", "c1"), new(null, "c2")], complete: true));
        Assert.Equal(("members", true, 3UL), ((string)members["event"]!, (bool)members["complete"]!, Convert.ToUInt64(members["ackId"], System.Globalization.CultureInfo.InvariantCulture)));
        var list = (object[])members["members"]!;
        Assert.Equal(["c1", "c2"], list.Select(m => (string)((Dictionary<object, object?>)m)["connectionId"]!));
        Assert.False(Read(MessagePackFrameWriter.Instance.Members("room", null, [], complete: false)).ContainsKey("ackId"));

        var history = Read(MessagePackFrameWriter.Instance.HistoryMessage(new Delivery { Target = DeliveryTarget.Group, Group = "room", DataType = DataType.Text, Payload = "hi"u8.ToArray() }));
        Assert.Equal((true, "hi"), ((bool)history["history"]!, (string)history["data"]!));
        Assert.False(history.ContainsKey("sequenceId"));
    }

    [Fact]
    public void EditAndDeleteRequestsAreReadWithTheirMessageIdAndAnEditsData()
    {
        var edit = new ClientRequest();
        Assert.Equal(ParseStatus.Ok, MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(6);
            w.Write("type"); w.Write("editMessage");
            w.Write("group"); w.Write("room");
            w.Write("messageId"); w.Write("0-17");
            w.Write("dataType"); w.Write("binary");
            w.Write("data"); w.Write(new byte[] { 7 });
            w.Write("ackId"); w.Write(1UL);
        }), edit, out _));
        Assert.Equal((ClientRequestType.EditMessage, "room", "0-17", (ulong?)1, DataType.Binary), (edit.Type, edit.Group, edit.MessageId, edit.AckId, edit.DataType));
        Assert.Equal(new byte[] { 7 }, edit.Data);

        var delete = new ClientRequest();
        Assert.Equal(ParseStatus.Ok, MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.Write("type"); w.Write("deleteMessage");
            w.Write("group"); w.Write("room");
            w.Write("messageId"); w.Write("0-17");
        }), delete, out _));
        Assert.Equal((ClientRequestType.DeleteMessage, "0-17"), (delete.Type, delete.MessageId));

        var noData = new ClientRequest();
        Assert.Equal(ParseStatus.Invalid, MessagePackRequestParser.Parse(Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            w.Write("type"); w.Write("editMessage");
            w.Write("group"); w.Write("room");
            w.Write("messageId"); w.Write("0-17");
            w.Write("dataType"); w.Write("text");
        }), noData, out var error));
        Assert.Contains("str", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AMessageChangedFrameIsAMapWithTheJsonFieldNames()
    {
        var edited = Read(MessagePackFrameWriter.Instance.MessageChanged(new Delivery
        {
            Target = DeliveryTarget.Group, Group = "room", Command = DeliveryCommand.MessageChanged, ChangedMessageId = "0-17",
            Change = MessageChange.Edited, FromUserId = "alice", DataType = DataType.Text, Payload = "fixed"u8.ToArray(),
        }));
        Assert.Equal(("system", "messageChanged", "room", "0-17", "edited", "alice", "text", "fixed"),
            ((string)edited["type"]!, (string)edited["event"]!, (string)edited["group"]!, (string)edited["messageId"]!, (string)edited["change"]!,
             (string?)edited["fromUserId"], (string)edited["dataType"]!, (string)edited["data"]!));

        var deleted = Read(MessagePackFrameWriter.Instance.MessageChanged(new Delivery
        {
            Target = DeliveryTarget.Group, Group = "room", Command = DeliveryCommand.MessageChanged, ChangedMessageId = "0-17", Change = MessageChange.Deleted,
        }));
        Assert.Equal(("deleted", null), ((string)deleted["change"]!, (string?)deleted["fromUserId"]));
        Assert.True(deleted.ContainsKey("fromUserId"));
        Assert.False(deleted.ContainsKey("data"));
        Assert.Throws<ArgumentException>(() => MessagePackFrameWriter.Instance.MessageChanged(new Delivery
        {
            Target = DeliveryTarget.Group, Group = "room", ChangedMessageId = "0-17", Change = MessageChange.Edited, DataType = DataType.Text, Payload = [0xFF],
        }));
    }

    private delegate void Body(ref MessagePackWriter writer);

    private static byte[] Write(Body body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        body(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static Dictionary<object, object?> Read(byte[] frame) =>
        MessagePackSerializer.Deserialize<Dictionary<object, object?>>(frame, MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData));
}
