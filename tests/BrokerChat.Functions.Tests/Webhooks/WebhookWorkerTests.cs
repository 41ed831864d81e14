using System.Globalization;
using System.Text;
using BrokerChat.Contracts.Messages;
using BrokerChat.Contracts.Topics;
using BrokerChat.Functions.Hosting.Kafka;
using BrokerChat.Functions.Tests.Kafka;
using static BrokerChat.Functions.Tests.Webhooks.WebhookRig;

namespace BrokerChat.Functions.Tests.Webhooks;

/// <summary>
/// A worker on the embedded Kafka posting a hub's events to its event handler (a real HTTP server) and turning the
/// answers into deliveries: replies, acks, refusals, invocation answers, connection state, retries and dead letters.
/// </summary>
public sealed class WebhookWorkerTests
{
    private const int Timeout = 90_000;

    [Theory(Timeout = Timeout)]
    [InlineData(DataType.Text, "hello", "text/plain")]
    [InlineData(DataType.Json, "{\"a\":[1,2]}", "application/json")]
    [InlineData(DataType.Binary, "AQID/w==", "application/octet-stream")]
    public async Task AUserEventReachesTheHandlerWithItsDataAndMediaTypeAndTheReplyGoesBackToTheSenderAsAServerMessageWithItsAck(DataType dataType, string data, string mediaType)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct);
        rig.Upstream.Behaviour = (call, _) => Task.FromResult(new UpstreamAnswer(200, call.Body, call.ContentType));
        var frame = Event("conn-a", "chat", dataType, data, ackId: 7);

        var position = await rig.SendAsync(frame, ct);

        var call = (await rig.CallsForAsync("conn-a", 1, ct)).Single();
        Assert.Equal("/eventhandler/chat", call.Path);
        Assert.StartsWith(mediaType, call.ContentType, StringComparison.Ordinal);
        Assert.Equal(frame.Payload, call.Body);
        Assert.Equal("azure.webpubsub.user.chat", call["ce-type"]);
        Assert.Equal("chat", call.EventName);
        Assert.Equal(Hub, call["ce-hub"]);
        Assert.Equal("ann", call["ce-userId"]);
        Assert.Equal("1.0", call["ce-specversion"]);
        Assert.Equal($"/hubs/{Hub}/client/conn-a", call["ce-source"]);
        Assert.Equal($"{position.Partition.Value}-{position.Offset.Value}", call["ce-id"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(frame.ReceivedAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), call["ce-time"]);
        Assert.StartsWith("sha256=", call["ce-signature"], StringComparison.Ordinal);
        var reply = (await rig.DeliveriesToAsync("conn-a", 1, ct)).Single();
        Assert.True(reply.HasMessage);
        Assert.Equal(DeliveryTarget.Connection, reply.Target);
        Assert.Equal(dataType, reply.DataType);
        Assert.Equal(frame.Payload, reply.Payload);
        Assert.Null(reply.FromUserId); // from the server
        Assert.Equal(7UL, reply.Ack?.AckId);
        Assert.True(reply.Ack!.Success);
        Assert.Equal("connector-1", reply.AckConnectorId);
    }

    [Fact(Timeout = Timeout)]
    public async Task A204OrAnEmpty200GivesTheSenderItsAckAndNoMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct);
        rig.Upstream.Behaviour = (call, _) => Task.FromResult(call.Text == "none" ? new UpstreamAnswer(204) : new UpstreamAnswer(200, [], "application/octet-stream"));

        await rig.SendAsync(Event("conn-b", "chat", DataType.Text, "none", ackId: 1), ct);
        await rig.SendAsync(Event("conn-b", "chat", DataType.Text, "empty", ackId: 2), ct);

        var deliveries = await rig.DeliveriesToAsync("conn-b", 2, ct);
        Assert.All(deliveries, d => Assert.False(d.HasMessage));
        Assert.Equal([1UL, 2UL], deliveries.Select(d => d.Ack!.AckId));
        Assert.All(deliveries, d => Assert.True(d.Ack!.Success));
    }

    [Fact(Timeout = Timeout)]
    public async Task ARefusalIsTheSendersAckErrorInvocationFailedAndClosesAConnectionThatAskedForNoAck()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct);
        rig.Upstream.Behaviour = (call, _) => Task.FromResult(new UpstreamAnswer(call.ConnectionId == "conn-c" ? 400 : 403, Encoding.UTF8.GetBytes("not that"), "text/plain"));

        await rig.SendAsync(Event("conn-c", "chat", DataType.Text, "x", ackId: 3), ct);
        // A simple WebSocket client's frame: the event "message", with no ack to answer.
        await rig.SendAsync(Event("conn-simple", "message", DataType.Text, "raw", ackId: null), ct);

        var ack = (await rig.DeliveriesToAsync("conn-c", 1, ct)).Single();
        Assert.False(ack.Ack!.Success);
        Assert.Equal(AckErrorNames.InvocationFailed, ack.Ack.ErrorName);
        Assert.Equal("not that", ack.Ack.ErrorMessage);
        var close = (await rig.DeliveriesToAsync("conn-simple", 1, ct)).Single();
        Assert.Equal(DeliveryCommand.Close, close.Command);
        Assert.Equal("not that", close.Reason);
        Assert.False(close.HasMessage);
        Assert.Empty(rig.DeadLetters.Records);
    }

    [Fact(Timeout = Timeout)]
    public async Task AnInvocationGetsTheHandlersAnswerAsItsInvokeResponseAndARefusalAsItsError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct);
        rig.Upstream.Behaviour = (call, _) => Task.FromResult(call.EventName == "ping"
            ? new UpstreamAnswer(200, Encoding.UTF8.GetBytes("{\"pong\":true}"), "application/json; charset=utf-8")
            : new UpstreamAnswer(404, Encoding.UTF8.GetBytes("no such thing"), "text/plain"));

        await rig.SendAsync(Invoke("conn-d", "ping", "1", "hi"), ct);
        await rig.SendAsync(Invoke("conn-d", "missing", "2", "hi"), ct);

        var answers = await rig.DeliveriesToAsync("conn-d", 2, ct);
        Assert.All(answers, a => Assert.Equal(DeliveryCommand.InvokeResponse, a.Command));
        Assert.Equal("1", answers[0].InvocationId);
        Assert.Null(answers[0].ErrorName);
        Assert.Equal(DataType.Json, answers[0].DataType);
        Assert.Equal("{\"pong\":true}", Encoding.UTF8.GetString(answers[0].Payload!));
        Assert.Equal("2", answers[1].InvocationId);
        Assert.Equal(AckErrorNames.InvocationFailed, answers[1].ErrorName);
        Assert.Equal("no such thing", answers[1].ErrorMessage);
        Assert.Equal(["hi", "hi"], (await rig.CallsForAsync("conn-d", 2, ct)).Select(c => c.Text));
    }

    [Fact(Timeout = Timeout)]
    public async Task TheRecordsSubprotocolAndStateGoOutAsCeHeadersAndTheStateTheHandlerSetsReachesTheConnectionBeforeTheReply()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct);
        rig.Upstream.Behaviour = (_, _) => Task.FromResult(UpstreamAnswer.Text("noted") with { State = "eyJrIjoidiJ9" });
        var frame = Event("conn-e", "chat", DataType.Text, "x");
        frame.Subprotocol = "json.webpubsub.azure.v1";
        frame.ConnectionState = "e30=";

        await rig.SendAsync(frame, ct);

        var call = (await rig.CallsForAsync("conn-e", 1, ct)).Single();
        Assert.Equal("json.webpubsub.azure.v1", call["ce-subprotocol"]);
        Assert.Equal("e30=", call["ce-connectionState"]);
        var deliveries = await rig.DeliveriesToAsync("conn-e", 2, ct);
        Assert.Equal(DeliveryCommand.SetConnectionState, deliveries[0].Command);
        Assert.Equal("eyJrIjoidiJ9", deliveries[0].ConnectionState);
        Assert.False(deliveries[0].HasMessage);
        Assert.Equal("noted", Encoding.UTF8.GetString(deliveries[1].Payload!));
        Assert.Equal(DataType.Text, deliveries[1].DataType);
    }

    [Fact(Timeout = Timeout)]
    public async Task AHandlerAnswering500IsTriedAgainWithTheSameCeIdThenSetAsideWithAnErrorAckWhileAnotherConnectionIsAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        var (failing, other) = ConnectionsOnOnePartitionInDifferentSlots();
        await using var rig = await StartAsync(ct, attempts: 3);
        var otherAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Upstream.Behaviour = async (call, token) =>
        {
            if (call.ConnectionId == other)
            {
                return UpstreamAnswer.Text("fine");
            }

            // The failing connection's first try is still under way when the other connection's reply is delivered.
            await otherAnswered.Task.WaitAsync(Patience, token);
            return new UpstreamAnswer(500, Encoding.UTF8.GetBytes("the database is down"), "text/plain");
        };

        var position = await rig.SendAsync(Event(failing, "chat", DataType.Text, "x", ackId: 9), ct);
        await Eventually.HoldsAsync(() => rig.Upstream.Calls.Any(c => c.ConnectionId == failing), Patience, "the failing event is being posted", ct);
        await rig.SendAsync(Event(other, "chat", DataType.Text, "y", ackId: 1), ct);
        var reply = (await rig.DeliveriesToAsync(other, 1, ct)).Single();
        otherAnswered.SetResult();

        Assert.Equal("fine", Encoding.UTF8.GetString(reply.Payload!));
        var error = (await rig.DeliveriesToAsync(failing, 1, ct)).Single();
        Assert.Equal(AckErrorNames.InternalServerError, error.Ack!.ErrorName);
        var tries = (await rig.CallsForAsync(failing, 3, ct)).Select(c => c["ce-id"]).ToArray();
        Assert.Equal(Enumerable.Repeat($"{position.Partition.Value}-{position.Offset.Value}", 3), tries);
        var dead = (await rig.DeadLetters.WaitForAsync(r => r.Count == 1, Patience, "the failing event is set aside", ct)).Single();
        Assert.Contains("answered 500", dead.Header(DeadLetterHeaders.Reason), StringComparison.Ordinal);
        Assert.Equal("3", dead.Header(DeadLetterHeaders.Attempts));
    }

    [Fact(Timeout = Timeout)]
    public async Task ASlowHandlerForOneConnectionDoesNotDelayAnotherConnectionsEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        var (slow, fast) = ConnectionsOnOnePartitionInDifferentSlots();
        await using var rig = await StartAsync(ct);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Upstream.Behaviour = async (call, token) =>
        {
            if (call.ConnectionId == slow)
            {
                await release.Task.WaitAsync(Patience, token);
            }

            return UpstreamAnswer.Text(call.Text);
        };

        await rig.SendAsync(Event(slow, "chat", DataType.Text, "s1"), ct);
        await Eventually.HoldsAsync(() => rig.Upstream.Calls.Any(c => c.ConnectionId == slow), Patience, "the slow connection's event is being posted", ct);
        await rig.SendAsync(Event(slow, "chat", DataType.Text, "s2"), ct);
        for (var i = 0; i < 5; i++)
        {
            await rig.SendAsync(Event(fast, "chat", DataType.Text, $"f{i}"), ct);
        }

        var fastReplies = await rig.DeliveriesToAsync(fast, 5, ct);
        Assert.Equal(["f0", "f1", "f2", "f3", "f4"], fastReplies.Select(d => Encoding.UTF8.GetString(d.Payload!)));
        Assert.Single(rig.Upstream.Calls, c => c.ConnectionId == slow); // its second event waits behind its first
        Assert.DoesNotContain(rig.Outbound.Records, r => r.Delivery?.ConnectionId == slow);
        release.SetResult();
        var slowReplies = await rig.DeliveriesToAsync(slow, 2, ct);
        Assert.Equal(["s1", "s2"], slowReplies.Select(d => Encoding.UTF8.GetString(d.Payload!)));
    }

    [Fact(Timeout = Timeout)]
    public async Task AConnectionsConnectedEventsAndDisconnectedReachTheHandlerInOrderAndTellTheClientNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct);

        await rig.SendAsync(Connection(InboundKind.Connected, "conn-f"), ct);
        await rig.SendAsync(Event("conn-f", "chat", DataType.Text, "one", ackId: null), ct);
        await rig.SendAsync(Event("conn-f", "chat", DataType.Text, "two", ackId: null), ct);
        await rig.SendAsync(Connection(InboundKind.Disconnected, "conn-f"), ct);

        var calls = await rig.CallsForAsync("conn-f", 4, ct);
        Assert.Equal(["azure.webpubsub.sys.connected", "azure.webpubsub.user.chat", "azure.webpubsub.user.chat", "azure.webpubsub.sys.disconnected"], calls.Select(c => c["ce-type"]));
        Assert.Equal(["/eventhandler/connected", "/eventhandler/disconnected"], new[] { calls[0].Path, calls[3].Path });
        Assert.Equal("{}", calls[0].Text);
        Assert.Equal("{\"reason\":\"gone\"}", calls[3].Text);
        Assert.Equal("ann", calls[0]["ce-userId"]);
        Assert.Equal(4, calls.Select(c => c["ce-id"]).Distinct().Count());
        await Eventually.HoldsAsync(() => rig.Worker.Worker.Processed == 4, Patience, "the four records are finished", ct);
        Assert.DoesNotContain(rig.Outbound.Records, r => r.Delivery?.ConnectionId == "conn-f");
    }

    [Fact(Timeout = Timeout)]
    public async Task AConnectedEventTheHandlerCannotTakeYetIsTriedAgainWithBackoffUntilItIsAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await StartAsync(ct, attempts: 10);
        var failures = 0;
        rig.Upstream.Behaviour = (_, _) => Task.FromResult(new UpstreamAnswer(Interlocked.Increment(ref failures) <= 4 ? 503 : 200));

        var position = await rig.SendAsync(Connection(InboundKind.Connected, "conn-g"), ct);

        var calls = await rig.CallsForAsync("conn-g", 5, ct);
        Assert.All(calls, c => Assert.Equal($"{position.Partition.Value}-{position.Offset.Value}", c["ce-id"]));
        await Eventually.HoldsAsync(() => rig.Worker.Worker.Processed == 1, Patience, "the connected record is finished", ct);
        Assert.Equal(5, rig.Upstream.Calls.Count);
        Assert.Empty(rig.DeadLetters.Records);
    }

    /// <summary>Two connection ids whose records share a partition but land in different key slots.</summary>
    private static (string First, string Second) ConnectionsOnOnePartitionInDifferentSlots()
    {
        static byte[] Key(string id) => PartitionKeys.Connection(Hub, id);
        var ids = Enumerable.Range(0, 1000).Select(i => $"conn-{i}").ToArray();
        var first = ids[0];
        var partition = PartitionKeys.PartitionOf(Key(first), WorkerKafka.Partitions);
        var second = ids.First(id => PartitionKeys.PartitionOf(Key(id), WorkerKafka.Partitions) == partition && KeySlot.SlotOf(Key(id), 8) != KeySlot.SlotOf(Key(first), 8));
        return (first, second);
    }
}
