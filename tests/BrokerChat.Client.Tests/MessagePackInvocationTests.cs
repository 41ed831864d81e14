using System.Net.WebSockets;
using BrokerChat.Client.Tests.Fakes;

namespace BrokerChat.Client.Tests;

public sealed class MessagePackInvocationTests
{
    [Fact(Timeout = 30_000)]
    public async Task InvokeIsAMapWithTheJsonFieldNamesAndResponsesCarryTextJsonAndBinaryData()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { Protocol = BrokerChatProtocol.MessagePackReliable });
        var connection = harness.Connection;

        var text = harness.Client.InvokeAsync("echo", "hi"u8.ToArray(), WebPubSubDataType.Text, ct);
        var (textMap, _) = await connection.NextMapAsync("invoke", ct);
        MsgPack.AssertMap(textMap, ("type", "invoke"), ("invocationId", "1"), ("target", "event"), ("event", "echo"), ("dataType", "text"), ("data", "hi"));
        await connection.SendMapAsync(ct, ("data", "pong"), ("dataType", "text"), ("success", true), ("invocationId", "1"), ("type", "invokeResponse"));
        Assert.Equal((WebPubSubDataType.Text, "pong"), ((await text.Within()).DataType, (await text).GetText()));

        var binary = harness.Client.InvokeAsync("bytes", new byte[] { 0, 255 }, WebPubSubDataType.Binary, ct);
        var (binaryMap, _) = await connection.NextMapAsync("invoke", ct);
        MsgPack.AssertMap(binaryMap, ("type", "invoke"), ("invocationId", "2"), ("target", "event"), ("event", "bytes"), ("dataType", "binary"), ("data", new byte[] { 0, 255 }));
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "2"), ("success", true), ("dataType", "binary"), ("data", new byte[] { 7, 8 }));
        var binaryResult = await binary.Within();
        Assert.Equal(WebPubSubDataType.Binary, binaryResult.DataType);
        Assert.Equal(new byte[] { 7, 8 }, binaryResult.Data.ToArray());

        var json = harness.Client.InvokeAsync("sum", """{"a":1}"""u8.ToArray(), WebPubSubDataType.Json, ct);
        var (jsonMap, _) = await connection.NextMapAsync("invoke", ct);
        Assert.Equal(("json", """{"a":1}"""), (jsonMap["dataType"], jsonMap["data"]));
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "3"), ("success", true), ("dataType", "json"), ("data", """{"sum":1}"""), ("metadata", new (string, object?)[] { ("k", "v") }));
        var jsonResult = await json.Within();
        Assert.Equal((WebPubSubDataType.Json, """{"sum":1}"""), (jsonResult.DataType, jsonResult.GetText()));

        var empty = harness.Client.InvokeAsync("nothing", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        await connection.NextMapAsync("invoke", ct);
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "4"), ("success", true), ("data", "data without a dataType"));
        var emptyResult = await empty.Within();
        Assert.Equal(((WebPubSubDataType?)null, true), (emptyResult.DataType, emptyResult.Data.IsEmpty));
    }

    [Fact(Timeout = 30_000)]
    public async Task ErrorResponseThrowsAndCancellingSendsACancelInvocationMap()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { Protocol = BrokerChatProtocol.MessagePack });
        var connection = harness.Connection;

        var failing = harness.Client.InvokeAsync("echo", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        await connection.NextMapAsync("invoke", ct);
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "1"), ("success", false), ("error", new (string, object?)[] { ("message", "Slow down."), ("name", "TooManyRequests") }));
        var error = await Assert.ThrowsAsync<BrokerChatInvocationException>(() => failing.Within());
        Assert.Equal(("1", "TooManyRequests", "Slow down."), (error.InvocationId, error.ErrorName, error.Message));

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var canceled = harness.Client.InvokeAsync("echo", "2"u8.ToArray(), WebPubSubDataType.Json, cancel.Token);
        await connection.NextMapAsync("invoke", ct);
        await cancel.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => canceled.Within());
        var (cancelMap, payload) = await connection.NextMapAsync("cancelInvocation", ct);
        MsgPack.AssertMap(cancelMap, ("type", "cancelInvocation"), ("invocationId", "2"));
        Assert.Equal(MsgPack.WriteMap(("type", "cancelInvocation"), ("invocationId", "2")), payload);
    }

    [Fact(Timeout = 30_000)]
    public async Task MalformedInvokeResponseMapsAreIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { Protocol = BrokerChatProtocol.MessagePackReliable });
        var connection = harness.Connection;

        var invoke = harness.Client.InvokeAsync("echo", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        await connection.NextMapAsync("invoke", ct);
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", 1), ("success", true)); // an int, not a str
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("success", true), ("dataType", "text"), ("data", "no id"));
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "1"), ("success", "yes"));
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "7"), ("success", true));
        await connection.SendAsync([0x83, 0xA4, .. "type"u8, 0xAE, .. "invokeResponse"u8], WebSocketMessageType.Binary, ct); // truncated map
        await connection.SendAsync(MsgPack.Nested("invokeResponse", 1000), WebSocketMessageType.Binary, ct);
        await connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":true}""", ct); // text on a binary protocol
        await connection.SendMapAsync(ct, ("type", "invokeResponse"), ("invocationId", "1"), ("success", true), ("dataType", "text"), ("data", "the real one"));

        Assert.Equal("the real one", (await invoke.Within()).GetText());
        Assert.Equal(BrokerChatClientState.Connected, harness.Client.State);
    }
}
