using System.Text.Json.Nodes;
using BrokerChat.Testing;

namespace BrokerChat.EndToEnd.Tests;

/// <summary>
/// <c>joinGroup</c> with <c>history</c>: the room's latest messages before the join's ack, bounded, seamless with the
/// live messages that follow, on a connector started after they were sent, and outside the numbering of reliable
/// sessions so that a session resumed on another connector loses and repeats nothing.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HistoryTests(PipelineFixture fixture)
{
    private BrokerChatHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task JoinWithHistoryGetsTheLastNMessagesInOrderBeforeItsAckEvenOnAConnectorStartedAfterThem()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "history1";
        await using var sender = await Host.ConnectAsync(hub, "sam", ct);
        await SecondConnector.SendAsync(sender, "room", 1, 10, ct);

        await using var joiner = await Host.ConnectAsync(hub, "jo", ct);
        var ack = await PresenceTests.JoinAsync(joiner, "room", history: 3, ct: ct);
        Assert.Equal([8, 9, 10], HistoryBefore(joiner, ack!));

        // A connector started after the messages were sent reads them back; its maximum of 5 bounds a larger N.
        await using var other = await PresenceTests.StartOtherAsync(Host, new() { Connector = { HistoryMaxMessages = 5 } });
        await using var late = await other.ConnectAsync(hub, "late", ct);
        var lateAck = await PresenceTests.JoinAsync(late, "room", history: 1000, ct: ct);
        Assert.Equal([6, 7, 8, 9, 10], HistoryBefore(late, lateAck!));

        // Messages from now on are live ones, without the history mark.
        await SecondConnector.SendAsync(sender, "room", 11, 11, ct);
        var live = await late.NextMessageAsync(ct);
        Assert.Equal((11, null), ((int)live["data"]!["n"]!, (bool?)live["history"]));
        await using var without = await Host.ConnectAsync(hub, "without", ct);
        Assert.Empty(HistoryBefore(without, (await PresenceTests.JoinAsync(without, "room", ct: ct))!));
    }

    [Fact(Timeout = 60_000)]
    public async Task HistoryAndTheLiveMessagesAfterItNeitherOverlapNorLeaveAGapWhileMessagesKeepComing()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "history2";
        const int total = 300;
        await using var sender = await Host.ConnectAsync(hub, "sam", ct);
        await using var joiner = await Host.ConnectAsync(hub, "jo", ct);
        var acks = new List<Task<AckFrame>>();
        Task<AckFrame?>? join = null;
        for (var n = 1; n <= total; n++)
        {
            acks.Add(await sender.SendWithoutWaitingAsync(new JsonObject { ["type"] = "sendToGroup", ["group"] = "room", ["data"] = new JsonObject { ["n"] = n } }, ct));
            if (n == 60)
            {
                // Joins while messages are on their way, once the first 30 were delivered: some are history, the rest live.
                await acks[29];
                join = PresenceTests.JoinAsync(joiner, "room", history: 100, ct: ct);
            }
        }

        Assert.True((await join!)!.Success);
        Assert.All(await Task.WhenAll(acks), a => Assert.True(a.Success));
        var received = new List<(int N, bool History)>();
        while (received.Count == 0 || received[^1].N != total)
        {
            var message = await joiner.NextMessageAsync(ct);
            received.Add(((int)message["data"]!["n"]!, (bool?)message["history"] == true));
        }

        var numbers = received.Select(r => r.N).ToList();
        Assert.Equal(Enumerable.Range(numbers[0], total - numbers[0] + 1), numbers); // consecutive: no gap, no repeat
        Assert.True(numbers[0] == 1 || received.Count(r => r.History) == 100, $"history started at {numbers[0]}");
        var historyCount = received.TakeWhile(r => r.History).Count();
        Assert.True(historyCount > 0, "the join came after some messages, so there was history");
        Assert.DoesNotContain(received.Skip(historyCount), r => r.History); // history first, then only live messages
        TestContext.Current.SendDiagnosticMessage($"{historyCount} history messages, then {received.Count - historyCount} live ones");
    }

    [Fact(Timeout = 120_000)]
    public async Task ReliableSessionThatGotHistoryAndPresenceResumesOnAnotherConnectorLosingAndRepeatingNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        const string hub = "history3";
        await using var sender = await Host.ConnectAsync(hub, "sam", ct);
        await SecondConnector.SendAsync(sender, "room", 1, 5, ct);
        var other = await PresenceTests.StartOtherAsync(Host);
        var client = await WebPubSubTestClient.ConnectUrlAsync(other.ClientUrl(hub, "rita"), new() { Reliable = true }, ct);

        var history = await client.JoinAndTakeHistoryAsync("room", history: 10, presence: true, cancellationToken: ct);
        Assert.Equal([1, 2, 3, 4, 5], history.Select(m => (int)m["data"]!["n"]!));
        Assert.All(history, m => Assert.Null(m["sequenceId"])); // outside the numbering

        await using var newcomer = await Host.ConnectAsync(hub, "nina", ct);
        Assert.True((await newcomer.JoinGroupAsync("room", ct))!.Success);
        var joined = await client.WaitForFrameAsync(f => (string?)f["event"] == "presence" && (string?)f["connectionId"] == newcomer.ConnectionId, ct);
        Assert.Null(joined["sequenceId"]);

        await SecondConnector.SendAsync(sender, "room", 6, 10, ct);
        var seen = await client.ReadMessagesAsync(5, ct);
        Assert.Equal([1, 2, 3, 4, 5], seen.Select(m => (int)m.SequenceId)); // the first numbered message is the first live one
        Assert.Equal([6, 7, 8, 9, 10], seen.Select(m => m.N));
        await client.AcknowledgeAsync(3, ct);

        // The client's connector dies; messages keep coming; the session resumes on the fixture's connector.
        client.Abort();
        await other.DisposeAsync();
        await SecondConnector.SendAsync(sender, "room", 11, 15, ct);
        var resumed = await client.ResumeAsync(Host.ClientUrl(hub, "rita"), ct);
        ulong highest = 5;
        var kept = new List<SequencedMessage>();
        while (kept.Count < 5)
        {
            var message = (await resumed.ReadMessagesAsync(1, ct))[0];
            if (message.SequenceId > highest)
            {
                highest = message.SequenceId;
                kept.Add(message);
            }
        }

        Assert.Equal([6, 7, 8, 9, 10], kept.Select(m => (int)m.SequenceId));
        Assert.Equal([11, 12, 13, 14, 15], kept.Select(m => m.N));

        // Its presence subscription came along: a leave in the room reaches it on the new connector.
        await newcomer.CloseAsync();
        var left = await resumed.WaitForFrameAsync(f => (string?)f["event"] == "presence" && (string?)f["action"] == "leave" && (string?)f["connectionId"] == newcomer.ConnectionId, ct);
        Assert.Null(left["sequenceId"]);
        await resumed.DisposeAsync();
    }

    /// <summary>The <c>n</c> of the history messages a client received before the ack of its join, in order.</summary>
    private static List<int> HistoryBefore(WebPubSubTestClient client, AckFrame ack)
    {
        Assert.True(ack.Success, ack.ErrorMessage);
        var frames = client.Frames.ToList();
        var ackAt = frames.FindIndex(f => (string?)f["type"] == "ack" && (ulong?)f["ackId"] == ack.AckId);
        var history = frames.Take(ackAt).Where(f => (string?)f["type"] == "message" && (bool?)f["history"] == true).ToList();
        foreach (var message in history)
        {
            // History messages are data messages too: taken off the client's queue so later reads see what follows.
            Assert.True(client.TryTakeMessage(out var taken));
            Assert.Same(message, taken);
        }

        return history.Select(f => (int)f["data"]!["n"]!).ToList();
    }
}
