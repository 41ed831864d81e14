using System.Text;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Frames;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Tests;

public sealed class JsonFrameWriterTests
{
    [Fact]
    public void GroupMessageEmbedsJsonDataAsJson()
    {
        var frame = Parse(JsonFrameWriter.Instance.Message(new Delivery
        {
            Target = DeliveryTarget.Group,
            Group = "g1",
            FromUserId = "user1",
            DataType = DataType.Json,
            Payload = """{"a":1}"""u8.ToArray(),
        }));

        Assert.Equal("""{"type":"message","from":"group","fromUserId":"user1","group":"g1","dataType":"json","data":{"a":1}}""", frame.ToJsonString());
    }

    [Fact]
    public void TextIsAStringAndBinaryIsBase64()
    {
        Assert.Equal("hé", (string?)Parse(JsonFrameWriter.Instance.Message(new Delivery { Target = DeliveryTarget.Group, Group = "g", DataType = DataType.Text, Payload = Encoding.UTF8.GetBytes("hé") }))["data"]);
        var binary = Parse(JsonFrameWriter.Instance.Message(new Delivery { Target = DeliveryTarget.User, DataType = DataType.Binary, Payload = [1, 2, 3] }));
        Assert.Equal(("server", "binary", "AQID"), ((string?)binary["from"], (string?)binary["dataType"], (string?)binary["data"]));
    }

    [Fact]
    public void AMessageChangedFrameNamesTheMessageTheChangeAndWhoMadeItWithAnEditsData()
    {
        var edited = Encoding.UTF8.GetString(JsonFrameWriter.Instance.MessageChanged(new Delivery
        {
            Target = DeliveryTarget.Group, Group = "g", Command = DeliveryCommand.MessageChanged, ChangedMessageId = "0-17",
            Change = MessageChange.Edited, FromUserId = "alice", DataType = DataType.Json, Payload = """{"a":2}"""u8.ToArray(),
        }));
        Assert.Equal("""{"type":"system","event":"messageChanged","group":"g","messageId":"0-17","change":"edited","fromUserId":"alice","dataType":"json","data":{"a":2}}""", edited);

        var deleted = Encoding.UTF8.GetString(JsonFrameWriter.Instance.MessageChanged(new Delivery
        {
            Target = DeliveryTarget.Group, Group = "g", Command = DeliveryCommand.MessageChanged, ChangedMessageId = "0-17", Change = MessageChange.Deleted,
        }));
        Assert.Equal("""{"type":"system","event":"messageChanged","group":"g","messageId":"0-17","change":"deleted","fromUserId":null}""", deleted);
    }

    [Fact]
    public void InvalidJsonPayloadCannotProduceABrokenFrame() =>
        Assert.ThrowsAny<Exception>(() => JsonFrameWriter.Instance.Message(new Delivery { Target = DeliveryTarget.Group, Group = "g", DataType = DataType.Json, Payload = "{\"a\":"u8.ToArray() }));

    [Fact]
    public void AcksAndSystemFramesHaveTheDocumentedShape()
    {
        Assert.Equal("""{"type":"ack","ackId":1,"success":true}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.AckSuccess(1)));
        Assert.Equal("""{"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"no"}}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.AckError(2, "Forbidden", "no")));
        Assert.Equal("""{"type":"system","event":"connected","userId":"u","connectionId":"c"}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.Connected("c", "u", null)));
        Assert.Equal("""{"type":"system","event":"disconnected","message":"bye"}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.Disconnected("bye")));
        Assert.Equal("""{"type":"pong"}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.Pong.Span));
    }

    [Fact]
    public void PresenceMembersAndHistoryFramesHaveTheDocumentedShape()
    {
        Assert.Equal("""{"type":"system","event":"presence","group":"g","action":"join","userId":"u","connectionId":"c"}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.Presence("g", true, "u", "c")));
        Assert.Equal("""{"type":"system","event":"presence","group":"g","action":"leave","userId":null,"connectionId":"c"}""", Encoding.UTF8.GetString(JsonFrameWriter.Instance.Presence("g", false, null, "c")));
        Assert.Equal("""{"type":"system","event":"members","group":"g","ackId":5,"complete":true,"members":[{"userId":"u","connectionId":"c"},{"userId":null,"connectionId":"d"}]}""",
            Encoding.UTF8.GetString(JsonFrameWriter.Instance.Members("g", 5, [new("u", "c"), new(null, "d")], complete: true)));
        Assert.Equal("""{"type":"message","from":"group","fromUserId":"u","group":"g","history":true,"dataType":"json","data":{"a":1}}""",
            Encoding.UTF8.GetString(JsonFrameWriter.Instance.HistoryMessage(new Delivery { Target = DeliveryTarget.Group, Group = "g", FromUserId = "u", DataType = DataType.Json, Payload = """{"a":1}"""u8.ToArray() })));
    }

    private static JsonObject Parse(byte[] frame) => JsonNode.Parse(frame)!.AsObject();
}
