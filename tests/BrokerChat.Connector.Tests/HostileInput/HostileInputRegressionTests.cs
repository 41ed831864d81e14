using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BrokerChat.Connector.Requests;
using BrokerChat.Connector.Transport;
using BrokerChat.Functions.Hosting.CustomHandler;

namespace BrokerChat.Connector.Tests.HostileInput;

/// <summary>Inputs the generated runs found that once escaped the parsers' documented outcomes.</summary>
public sealed class HostileInputRegressionTests
{
    [Theory]
    [InlineData("""{"type":"joinGroup","group":"\ud800","ackId":1}""")] // well-formed JSON, unpaired surrogate
    [InlineData("""{"type":"sendToGroup","group":"g","dataType":"text","data":"\udc00x"}""")]
    public void JsonRequestWithAStringThatIsNotUnicodeIsMalformed(string frame)
    {
        var status = JsonRequestParser.Parse(Encoding.UTF8.GetBytes(frame), new ClientRequest(), out var error);

        Assert.Equal(ParseStatus.Malformed, status);
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonRequestWithBytesThatAreNotUtf8InAStringIsMalformed()
    {
        byte[] frame = [.. """{"type":"joinGroup","group":"""u8, (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];

        Assert.Equal(ParseStatus.Malformed, JsonRequestParser.Parse(frame, new ClientRequest(), out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0xA4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xDB, 0x7F, 0xFF, 0xFF, 0xFF, (byte)'x' })] // str32 declaring 2 GiB
    [InlineData(new byte[] { 0x81, 0x01, 0xC6, 0xFF, 0xFF, 0xFF, 0xFF })] // a non-string key, then a bin32 declaring 4 GiB
    [InlineData(new byte[] { 0x81, 0xA5, (byte)'e', (byte)'x', (byte)'t', (byte)'r', (byte)'a', 0xC9, 0x7F, 0xFF, 0xFF, 0xFF, 0x01 })] // ext32 under an unknown key
    public void MessagePackRequestDeclaringMoreBytesThanTheFrameHoldsIsMalformed(byte[] frame)
    {
        var status = MessagePackRequestParser.Parse(frame, new ClientRequest(), out var error);

        Assert.Equal(ParseStatus.Malformed, status);
        Assert.Contains("not valid MessagePack", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x91, "Ok")] // fixarray of one: a well-formed value under an unknown key, skipped like any other
    [InlineData(0x81, "Malformed")] // fixmap of one whose key is the next level: never complete
    public void MessagePackNestedAMillionDeepUnderANonStringKeyIsReadWithoutExhaustingTheStack(byte level, string expected)
    {
        // As deep as a 1 MiB frame allows, read on a thread with a small stack.
        byte[] frame = [0x82, 0xA4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xA4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0x01, .. Enumerable.Repeat(level, 1_000_000), 0xC0];
        ParseStatus? status = null;
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    status = MessagePackRequestParser.Parse(frame, new ClientRequest(), out _);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            },
            maxStackSize: 256 * 1024);

        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(failure);
        Assert.Equal(expected, status.ToString());
    }

    [Fact]
    public void RequestHeadOfRepeatedHeadersIsReadInProportionToItsSize()
    {
        var head = Encoding.Latin1.GetBytes("GET /client/hubs/chat HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("Upgrade: a\r\n", 2_500)) + "\r\n");
        Assert.InRange(head.Length, 30_000, WebSocketHandshake.MaxHeadBytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var upgrade = HttpRequestHead.Parse(head)!["Upgrade"];
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2 * 2_500 - 1, upgrade!.Length);
        Assert.True(allocated < 64 * 1024 + 32L * head.Length, $"{allocated:N0} bytes allocated for a {head.Length:N0}-byte head");
    }

    [Fact]
    public void TriggerBatchDecodesItsMetadataArraysOnceNotOncePerRecord()
    {
        const int records = 2_000;
        var positions = "[" + string.Join(",", Enumerable.Range(0, records)) + "]";
        var values = new JsonArray([.. Enumerable.Range(0, records).Select(_ => (JsonNode)"AAAA")]).ToJsonString();
        var invocation = new JsonObject
        {
            ["Data"] = new JsonObject { ["request"] = values },
            ["Metadata"] = new JsonObject { ["PartitionArray"] = positions, ["OffsetArray"] = positions, ["KeyArray"] = positions },
        }.ToJsonString();
        using var body = JsonDocument.Parse(invocation);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = KafkaTriggerPayload.Read(body.RootElement, CustomHandlerFunctions.TriggerBinding);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(records, read.Count);
        Assert.Equal((1_999, 1_999L), (read[^1].Partition, read[^1].Offset));
        Assert.True(allocated < 64 * 1024 + 48L * invocation.Length, $"{allocated:N0} bytes allocated for a {invocation.Length:N0}-byte invocation");
    }

    [Fact]
    public void TriggerInvocationWithAStringThatIsNotUnicodeIsRefusedAsAnInvalidInvocation()
    {
        using var body = JsonDocument.Parse("""{"Data":{"request":"AAAA"},"Metadata":{"Partition":"\ud800","Offset":1}}""");

        var refused = Assert.Throws<TriggerPayloadException>(() => KafkaTriggerPayload.Read(body.RootElement, CustomHandlerFunctions.TriggerBinding));
        Assert.Contains("Unicode", refused.Message, StringComparison.Ordinal);
    }
}
