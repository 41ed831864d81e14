using System.Text;
using BrokerChat.Connector.Requests;
using BrokerChat.Contracts.Messages;

namespace BrokerChat.Connector.Tests;

public sealed class JsonRequestParserTests
{
    [Fact]
    public void ParsesJoinGroupWithAckId()
    {
        var request = Parse("""{"type":"joinGroup","group":"g1","ackId":1}""", ParseStatus.Ok);
        Assert.Equal((ClientRequestType.JoinGroup, "g1", 1UL), (request.Type, request.Group, request.AckId));
    }

    [Fact]
    public void KeepsJsonDataAsRawJsonWhateverTheFieldOrder()
    {
        var request = Parse("""{"data":{"a":[1,"x"]},"ackId":3,"group":"g","type":"sendToGroup","noEcho":true}""", ParseStatus.Ok);
        Assert.Equal(ClientRequestType.SendToGroup, request.Type);
        Assert.Equal(DataType.Json, request.DataType);
        Assert.Equal("""{"a":[1,"x"]}""", Encoding.UTF8.GetString(request.Data!));
        Assert.True(request.NoEcho);
    }

    [Fact]
    public void JsonStringDataKeepsItsQuotes()
    {
        var request = Parse("""{"type":"sendToGroup","group":"g","data":"hi"}""", ParseStatus.Ok);
        Assert.Equal("\"hi\"", Encoding.UTF8.GetString(request.Data!));
    }

    [Fact]
    public void TextDataIsUnescapedUtf8()
    {
        var request = Parse("""{"type":"sendToGroup","group":"g","dataType":"text","data":"a\"b\u00e9\n"}""", ParseStatus.Ok);
        Assert.Equal(DataType.Text, request.DataType);
        Assert.Equal("a\"bé\n", Encoding.UTF8.GetString(request.Data!));
    }

    [Fact]
    public void BinaryDataIsBase64Decoded()
    {
        var request = Parse("""{"type":"event","event":"ev","dataType":"binary","data":"CQg="}""", ParseStatus.Ok);
        Assert.Equal(new byte[] { 9, 8 }, request.Data);
        Assert.Equal("ev", request.Event);
    }

    [Theory]
    [InlineData("""{"type":"sendToGroup","group":"g","dataType":"binary","data":"***"}""")]
    [InlineData("""{"type":"sendToGroup","group":"g","dataType":"text","data":5}""")]
    [InlineData("""{"type":"sendToGroup","group":"g","dataType":"protobuf","data":"AA=="}""")]
    [InlineData("""{"type":"sendToGroup","group":"g"}""")]
    [InlineData("""{"type":"joinGroup","group":"g","ackId":-1}""")]
    [InlineData("""{"type":"joinGroup","group":7}""")]
    [InlineData("""{"group":"g"}""")]
    public void WrongFieldsAreInvalidButAnswerable(string json) => Parse(json, ParseStatus.Invalid);

    [Fact]
    public void AckIdParsedBeforeAnInvalidFieldIsKeptForTheErrorAck()
    {
        var request = Parse("""{"type":"joinGroup","ackId":9,"group":7}""", ParseStatus.Invalid);
        Assert.Equal(9UL, request.AckId);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("""{"type":"ping"} {}""")]
    [InlineData("")]
    public void NonObjectsAreMalformed(string json) => Parse(json, ParseStatus.Malformed);

    [Fact]
    public void NestingDeeperThanTheLimitIsMalformed()
    {
        var deep = """{"type":"sendToGroup","group":"g","data":""" + new string('[', 100) + new string(']', 100) + "}";
        Parse(deep, ParseStatus.Malformed);
    }

    [Fact]
    public void UnknownTypesAndFieldsAreToleratedAndTypeMatchesCaseInsensitively()
    {
        Assert.Equal(ClientRequestType.Unknown, Parse("""{"type":"teleport","x":{"y":[1]}}""", ParseStatus.Ok).Type);
        Assert.Equal(ClientRequestType.Ping, Parse("""{"type":"PING","future":true}""", ParseStatus.Ok).Type);
        Assert.Equal(2UL, Parse("""{"type":"sequenceAck","sequenceId":2}""", ParseStatus.Ok).SequenceId);
    }

    [Fact]
    public void JoinGroupCarriesHistoryAndPresenceAndAHistoryBeyondAnIntIsCut()
    {
        var request = Parse("""{"type":"joinGroup","group":"g","history":25,"presence":true}""", ParseStatus.Ok);
        Assert.Equal((25, true), (request.History, request.Presence));
        Assert.Equal(int.MaxValue, Parse("""{"type":"joinGroup","group":"g","history":18446744073709551615}""", ParseStatus.Ok).History);
        var plain = Parse("""{"type":"joinGroup","group":"g"}""", ParseStatus.Ok);
        Assert.Equal((null, false), (plain.History, plain.Presence));
    }

    [Theory]
    [InlineData("""{"type":"joinGroup","group":"g","history":-1}""")]
    [InlineData("""{"type":"joinGroup","group":"g","history":2.5}""")]
    [InlineData("""{"type":"joinGroup","group":"g","history":"10"}""")]
    [InlineData("""{"type":"joinGroup","group":"g","presence":"yes"}""")]
    public void HistoryThatIsNotACountOrPresenceThatIsNotABooleanIsInvalid(string json) => Parse(json, ParseStatus.Invalid);

    [Fact]
    public void ListMembersIsARequestType()
    {
        var request = Parse("""{"type":"listMembers","group":"g","ackId":4}""", ParseStatus.Ok);
        Assert.Equal((ClientRequestType.ListMembers, "g", 4UL), (request.Type, request.Group, request.AckId));
    }

    [Fact]
    public void AnEditCarriesItsMessageIdAndItsNewDataOfItsDataType()
    {
        var request = Parse("""{"type":"editMessage","group":"g","messageId":"0-17","dataType":"text","data":"fixed","ackId":1}""", ParseStatus.Ok);
        Assert.Equal((ClientRequestType.EditMessage, "g", "0-17", 1UL, DataType.Text), (request.Type, request.Group, request.MessageId, request.AckId, request.DataType));
        Assert.Equal("fixed", Encoding.UTF8.GetString(request.Data!));

        var json = Parse("""{"data":{"a":1},"messageId":"0-17","type":"EDITMESSAGE","group":"g"}""", ParseStatus.Ok);
        Assert.Equal((ClientRequestType.EditMessage, DataType.Json, """{"a":1}"""), (json.Type, json.DataType, Encoding.UTF8.GetString(json.Data!)));
    }

    [Fact]
    public void ADeleteNeedsNoData()
    {
        var request = Parse("""{"type":"deleteMessage","group":"g","messageId":"0-17","ackId":2}""", ParseStatus.Ok);
        Assert.Equal((ClientRequestType.DeleteMessage, "g", "0-17", 2UL), (request.Type, request.Group, request.MessageId, request.AckId));
        Assert.Null(request.Data);
    }

    [Theory]
    [InlineData("""{"type":"editMessage","group":"g","messageId":"0-17","dataType":"text","ackId":3}""")]
    [InlineData("""{"type":"editMessage","group":"g","messageId":"0-17","dataType":"text","data":7,"ackId":3}""")]
    [InlineData("""{"type":"editMessage","group":"g","messageId":"0-17","dataType":"morse","data":"x","ackId":3}""")]
    [InlineData("""{"type":"deleteMessage","group":"g","ackId":3,"messageId":17}""")]
    public void AChangeWithoutItsDataOrWithAWrongFieldIsInvalidButAnswerable(string json)
    {
        var request = Parse(json, ParseStatus.Invalid);
        Assert.Equal(3UL, request.AckId);
    }

    private static ClientRequest Parse(string json, ParseStatus expected)
    {
        var request = new ClientRequest();
        var status = JsonRequestParser.Parse(Encoding.UTF8.GetBytes(json), request, out var error);
        Assert.True(expected == status, $"expected {expected}, got {status}: {error}");
        Assert.Equal(expected == ParseStatus.Ok, error is null);
        return request;
    }
}
