using System.Text;
using BrokerChat.Client.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace BrokerChat.Client.Tests;

public sealed class InvocationTests
{
    [Fact(Timeout = 30_000)]
    public async Task InvokeSendsAnInvokeOfTheEventTargetAndReturnsTheTextResponse()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var invoke = harness.Client.InvokeAsync("echo", "hi"u8.ToArray(), WebPubSubDataType.Text, ct);
        var frame = await harness.Connection.NextJsonAsync("invoke", ct);
        Assert.Equal("""{"type":"invoke","invocationId":"1","target":"event","event":"echo","dataType":"text","data":"hi"}""", frame.ToJsonString());
        Assert.False(invoke.IsCompleted);
        await harness.Connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"text","data":"pong-data"}""", ct);

        var result = await invoke.Within();
        Assert.Equal(("1", WebPubSubDataType.Text, "pong-data"), (result.InvocationId, result.DataType, result.GetText()));
    }

    [Fact(Timeout = 30_000)]
    public async Task JsonAndBinaryResponsesCarryTheirDataAndAResponseWithoutDataCarriesNone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        var connection = harness.Connection;

        var json = harness.Client.InvokeAsync("sum", """{"a":[1,2]}"""u8.ToArray(), WebPubSubDataType.Json, ct);
        var jsonFrame = await connection.NextJsonAsync("invoke", ct);
        Assert.Equal(("1", "json", """{"a":[1,2]}"""), ((string?)jsonFrame["invocationId"], (string?)jsonFrame["dataType"], jsonFrame["data"]!.ToJsonString()));
        await connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"json","data":{"sum":3}}""", ct);
        var jsonResult = await json.Within();
        Assert.Equal((WebPubSubDataType.Json, """{"sum":3}"""), (jsonResult.DataType, jsonResult.GetText()));

        var binary = harness.Client.InvokeAsync("bytes", new byte[] { 1, 2, 3 }, WebPubSubDataType.Binary, ct);
        var binaryFrame = await connection.NextJsonAsync("invoke", ct);
        Assert.Equal(("2", "binary", "AQID"), ((string?)binaryFrame["invocationId"], (string?)binaryFrame["dataType"], (string?)binaryFrame["data"]));
        await connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"2","success":true,"dataType":"binary","data":"CQgH"}""", ct);
        var binaryResult = await binary.Within();
        Assert.Equal(WebPubSubDataType.Binary, binaryResult.DataType);
        Assert.Equal(new byte[] { 9, 8, 7 }, binaryResult.Data.ToArray());

        var empty = harness.Client.InvokeAsync("nothing", "x"u8.ToArray(), WebPubSubDataType.Text, ct);
        await connection.NextJsonAsync("invoke", ct);
        await connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"3","success":true}""", ct);
        var emptyResult = await empty.Within();
        Assert.Null(emptyResult.DataType);
        Assert.True(emptyResult.Data.IsEmpty);
    }

    [Fact(Timeout = 30_000)]
    public async Task ErrorResponseThrowsBrokerChatInvocationExceptionWithTheErrorNameAndMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var invoke = harness.Client.InvokeAsync("echo", "hi"u8.ToArray(), WebPubSubDataType.Text, ct);
        await harness.Connection.NextJsonAsync("invoke", ct);
        await harness.Connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":false,"error":{"name":"NotFound","message":"No handler answers 'echo'."}}""", ct);

        var error = await Assert.ThrowsAsync<BrokerChatInvocationException>(() => invoke.Within());
        Assert.Equal(("1", "NotFound", "No handler answers 'echo'."), (error.InvocationId, error.ErrorName, error.Message));
    }

    [Fact(Timeout = 30_000)]
    public async Task CancellingSendsCancelInvocationAndTheLateResponseIsIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var invoke = harness.Client.InvokeAsync("slow", "1"u8.ToArray(), WebPubSubDataType.Json, cancel.Token);
        await harness.Connection.NextJsonAsync("invoke", ct);
        await cancel.CancelAsync();

        var canceled = await Assert.ThrowsAsync<OperationCanceledException>(() => invoke.Within());
        Assert.Equal(cancel.Token, canceled.CancellationToken);
        var cancelFrame = await harness.Connection.NextJsonAsync("cancelInvocation", ct);
        Assert.Equal("""{"type":"cancelInvocation","invocationId":"1"}""", cancelFrame.ToJsonString());

        // The late answer to 1 is dropped; the next invocation gets its own.
        await harness.Connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"text","data":"late"}""", ct);
        var next = harness.Client.InvokeAsync("slow", "2"u8.ToArray(), WebPubSubDataType.Json, ct);
        Assert.Equal("2", (string?)(await harness.Connection.NextJsonAsync("invoke", ct))["invocationId"]);
        await harness.Connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"2","success":true,"dataType":"text","data":"mine"}""", ct);
        Assert.Equal("mine", (await next.Within()).GetText());
        Assert.Equal(BrokerChatClientState.Connected, harness.Client.State);
    }

    [Fact(Timeout = 30_000)]
    public async Task UnansweredInvocationTimesOutAfterItsTimeoutAndSendsCancelInvocation()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { TimeProvider = time, InvokeTimeout = TimeSpan.FromSeconds(10) });

        var quick = harness.Client.InvokeAsync("quick", "1"u8.ToArray(), WebPubSubDataType.Json, TimeSpan.FromSeconds(2), ct);
        Assert.Equal("1", (string?)(await harness.Connection.NextJsonAsync("invoke", ct))["invocationId"]);
        var patient = harness.Client.InvokeAsync("patient", "2"u8.ToArray(), WebPubSubDataType.Json, ct);
        Assert.Equal("2", (string?)(await harness.Connection.NextJsonAsync("invoke", ct))["invocationId"]);

        time.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<TimeoutException>(() => quick.Within());
        Assert.Equal("1", (string?)(await harness.Connection.NextJsonAsync("cancelInvocation", ct))["invocationId"]);
        Assert.False(patient.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(8));
        await Assert.ThrowsAsync<TimeoutException>(() => patient.Within());
        Assert.Equal("2", (string?)(await harness.Connection.NextJsonAsync("cancelInvocation", ct))["invocationId"]);
    }

    [Fact(Timeout = 30_000)]
    public async Task LosingTheSocketFailsItsInvocationsEvenWhenTheReliableSessionIsResumed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { MaxPendingInvocations = 1 });

        var invoke = harness.Client.InvokeAsync("echo", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        await harness.Connection.NextJsonAsync("invoke", ct);
        harness.Connection.Abort();

        var error = await Assert.ThrowsAsync<BrokerChatInvocationException>(() => invoke.Within());
        Assert.Equal(("1", (string?)null), (error.InvocationId, error.ErrorName));
        var recovery = await server.NextConnectionAsync(ct);
        Assert.Equal("conn-1", recovery.Query("awps_connection_id"));

        // Not sent again on the resumed socket, and its place in the table (of one) is free.
        var next = harness.Client.InvokeAsync("echo", "2"u8.ToArray(), WebPubSubDataType.Json, ct);
        Assert.Equal("2", (string?)(await recovery.NextJsonAsync("invoke", ct))["invocationId"]);
        await recovery.SendJsonAsync("""{"type":"invokeResponse","invocationId":"2","success":true}""", ct);
        Assert.Equal("2", (await next.Within()).InvocationId);
    }

    [Fact(Timeout = 30_000)]
    public async Task StoppingTheClientFailsPendingInvocations()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var invoke = harness.Client.InvokeAsync("echo", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        await harness.Connection.NextJsonAsync("invoke", ct);
        await harness.Client.StopAsync(ct).Within();

        var error = await Assert.ThrowsAsync<BrokerChatInvocationException>(() => invoke.Within());
        Assert.Null(error.ErrorName);
    }

    [Fact(Timeout = 30_000)]
    public async Task ConcurrentInvocationsAreMatchedToTheirResponsesById()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);

        var invocations = Enumerable.Range(1, 5)
            .Select(i => (Question: $"q{i}", Task: harness.Client.InvokeAsync("ask", Encoding.UTF8.GetBytes($"q{i}"), WebPubSubDataType.Text, ct)))
            .ToList();
        var frames = new List<(string Id, string Question)>();
        for (var i = 0; i < invocations.Count; i++)
        {
            var frame = await harness.Connection.NextJsonAsync("invoke", ct);
            frames.Add(((string)frame["invocationId"]!, (string)frame["data"]!));
        }

        Assert.Equal(["1", "2", "3", "4", "5"], frames.Select(f => f.Id).Order(StringComparer.Ordinal));
        foreach (var (id, question) in Enumerable.Reverse(frames))
        {
            await harness.Connection.SendJsonAsync($$"""{"type":"invokeResponse","invocationId":"{{id}}","success":true,"dataType":"text","data":"answer to {{question}}"}""", ct);
        }

        foreach (var (question, task) in invocations)
        {
            Assert.Equal($"answer to {question}", (await task.Within()).GetText());
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task InvocationsBeyondMaxPendingInvocationsAreRefusedUntilOneEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server, new BrokerChatClientOptions { MaxPendingInvocations = 2 });

        var first = harness.Client.InvokeAsync("e", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        var second = harness.Client.InvokeAsync("e", "2"u8.ToArray(), WebPubSubDataType.Json, ct);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Client.InvokeAsync("e", "3"u8.ToArray(), WebPubSubDataType.Json, ct).Within());
        Assert.Contains("MaxPendingInvocations", refused.Message, StringComparison.Ordinal);

        await harness.Connection.NextJsonAsync("invoke", ct);
        await harness.Connection.NextJsonAsync("invoke", ct);
        await harness.Connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":true}""", ct);
        await first.Within();
        var third = harness.Client.InvokeAsync("e", "4"u8.ToArray(), WebPubSubDataType.Json, ct);
        Assert.Equal("4", (string?)(await harness.Connection.NextJsonAsync("invoke", ct))["invocationId"]);
        Assert.False(second.IsCompleted || third.IsCompleted);
    }

    [Fact(Timeout = 30_000)]
    public async Task MalformedAndUnmatchedInvokeResponsesAreIgnored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeWebPubSubServer.StartAsync(ct);
        await using var harness = await ClientHarness.ConnectAsync(server);
        var connection = harness.Connection;

        var invoke = harness.Client.InvokeAsync("echo", "1"u8.ToArray(), WebPubSubDataType.Json, ct);
        await connection.NextJsonAsync("invoke", ct);
        string[] hostile =
        [
            """{"type":"invokeResponse","invocationId":"1","success":true""",
            """{"type":"invokeResponse","success":true,"dataType":"text","data":"no id"}""",
            """{"type":"invokeResponse","invocationId":1,"success":true,"dataType":"text","data":"numeric id"}""",
            """{"type":"invokeResponse","invocationId":"99","success":true,"dataType":"text","data":"nobody asked"}""",
            """{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"binary","data":"not base64!"}""",
            """{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"text","data":{"not":"a string"}}""",
            """{"type":"invokeResponse","invocationId":"1","success":true,"x":""" + new string('[', 200) + new string(']', 200) + "}",
            """["invokeResponse","1"]""",
        ];
        foreach (var frame in hostile)
        {
            await connection.SendJsonAsync(frame, ct);
        }

        await connection.SendJsonAsync("""{"type":"invokeResponse","invocationId":"1","success":true,"dataType":"text","data":"the real one","extra":{"ignored":true}}""", ct);

        Assert.Equal("the real one", (await invoke.Within()).GetText());
        Assert.Equal(BrokerChatClientState.Connected, harness.Client.State);
        Assert.Equal(1, server.ConnectionCount);
    }
}
